"""Local stand-ins for remote services (GitHub's REST API, stalling servers) and git helpers.

Importable from tests in tests/trajectoryrl as ``fakes`` (pytest puts that directory on the
path); none of this is a mock of our own code: the real clients talk to these over loopback.
"""
