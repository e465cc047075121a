"""The vendor's error table, as the emulator answers it.

The vendor documents its errors as rows of ``code | error | message``; the
body shape and HTTP status are INFERRED: ``{"code", "error", "message"}``
with HTTP 400 for ``400…`` codes and 500 for ``500…`` codes.  Every refusal
the emulator makes uses one of the documented messages verbatim, so a
client's mapping from message to meaning is checked against the real words.
"""

from __future__ import annotations

from reconciler.emulators import base

BAD_REQUEST_CODE = 4001000204
BAD_REQUEST = "PREDA_EXTERNAL_BAD_REQUEST"
SERVER_ERROR_CODE = 5001000201
SERVER_ERROR = "PREDA_EXTERNAL_INTERNAL_SERVER_ERROR"

INVALID_API_KEY = "invalid_api_key."
INACTIVE_CREDENTIAL = "Inactive_credential."
NOT_FOUND_CREDENTIAL = "Not_found_credential."
USER_DELETED = "This user may be deleted."
MODEL_DELETED = "This model may be deleted."
JOB_DELETED = "This job may be deleted."
JOB_NOT_FOUND = "Not found retrain job."
CLASSIFIER_NOT_FOUND = "Not found classifier."
JOB_NOT_FINISHED = "Retrain job is not finished."
CONFIGURATION_NOT_FOUND = "Not found configuration_file."


class Problem(base.Problem):
    """A documented refusal: HTTP status and the vendor's body."""

    def __init__(self, message: str, *, code: int = BAD_REQUEST_CODE) -> None:
        status = 500 if str(code).startswith("5") else 400
        error = SERVER_ERROR if status == 500 else BAD_REQUEST
        super().__init__(status, {"code": code, "error": error, "message": message})
        self.code = code
        self.message = message


def bad_request(message: str) -> Problem:
    return Problem(message, code=BAD_REQUEST_CODE)


def server_error(message: str) -> Problem:
    return Problem(message, code=SERVER_ERROR_CODE)
