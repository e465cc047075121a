# Copied verbatim from the vendor's training documentation (seed 004, "Example Call Sequence").
# The page gives HTTP exchanges rather than a script: each block is kept as published.
CREATE_REQUEST = """POST /api/v1/models/train/new
{
"dataset_id": "YTV32jCdVf5DbcMxzvX5",
"predict_fields": ["Positive Lead"]
}"""
CREATE_RESPONSE = """{
"task_id": "<task_id>"
}"""
STATUS_REQUEST = """GET /api/v1/models/train/<task_id>/status"""
STATUS_IN_PROGRESS = """{
"status": "IN_PROGRESS",
"metadata": {
"type": "IN_PROGRESS"
}
}"""
STATUS_SUCCEEDED = """{
"status": "SUCCEEDED",
"metadata": {
"type": "SUCCEEDED",
"location": "/api/v1/models/train/<task_id>/result"
}
}"""
RESULT_REQUEST = """GET /api/v1/models/train/<task_id>/result"""
API_ROOT = """https://api.akkio.com/api/v1"""
