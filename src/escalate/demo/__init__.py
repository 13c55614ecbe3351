"""The demo: fictional partnerships, people and sign-ins, and a scenario that drives the
services as its people on its own dates. Above the directory and the cases, never below."""
