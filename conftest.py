"""The repository's pytest set-up: embedsdk's own isolation fixtures, for core and plugin tests alike."""

pytest_plugins = ["embedsdk.testing.fixtures"]
