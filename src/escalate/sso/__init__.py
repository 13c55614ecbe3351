"""Single sign-on with OpenID Connect (docs/sso.md).

An organisation account (Microsoft Entra ID, or any OpenID provider) signs a person in only once
it is linked to their Escalate account by issuer and subject. Signing in this way is the first
factor only: the accounts app still asks for the second.
"""
