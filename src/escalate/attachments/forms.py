from __future__ import annotations

from django import forms

CHOOSE_FILE = "Select a file"
EMPTY_FILE = "The selected file is empty"


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Upload a file",
        # A hint to the browser's file chooser only: the content decides what is accepted.
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.doc,.png,.jpg,.jpeg"}),
        error_messages={
            "required": CHOOSE_FILE,
            "empty": EMPTY_FILE,
            "invalid": CHOOSE_FILE,
            "missing": CHOOSE_FILE,
        },
    )

    def __init__(self, *args: object, limit_mb: int = 20, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields[
            "file"
        ].help_text = (
            f"A PDF, a Word document (.docx or .doc), a PNG or a JPEG, smaller than {limit_mb} MB"
        )
