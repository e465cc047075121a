# Copied verbatim from the vendor's API documentation (seed 000, "Full Example Code").
import time
import requests

url = "https://app.alviss.io/api/v1/api"
token = "<SET ME>"
team_id = "<SET ME>"
project_id = "<SET ME>"
file_path = "<SET ME>"

headers = {"Authorization": "Bearer " + token}
team_project_url = url + f"/projects/{team_id}/{project_id}"

# Model refit with new dataset
existing_model_id = 3
model_country = "SWE"
model_region = "all"
model_grouping = "all"

response = requests.post(
    team_project_url + "/datauploads",
    headers=headers,
    params={"dataset_name": "Sales"},
    files={"file": open(file_path, "rb")},
)

upload_id = response.json().get("upload_id")
while True:
    print("Waiting for upload to complete")
    response = requests.get(
        team_project_url + f"/datauploads/{upload_id}",
        headers=headers,
    )
    if response.json().get("Status") == "complete":
        break
    print(response.json())
    time.sleep(2)

# get active dataset
response = requests.get(
    team_project_url + "/datasets/active",
    headers=headers,
)
active_dataset_id = response.json()["IId"]

response = requests.post(
    team_project_url + "/datasets",
    headers=headers,
    json={"upload_ids": [upload_id], "dataset_ids": [active_dataset_id]},
)
dataset_id = response.json().get("IId")
while True:
    print("Waiting for dataset to complete")
    response = requests.get(
        team_project_url + f"/datasets/{dataset_id}",
        headers=headers,
    )
    if response.json().get("Status") == "complete":
        break
    print(response.json())
    time.sleep(2)

response = requests.post(
    team_project_url + f"/datasets/{dataset_id}/dates",
    headers=headers,
    params={"dataset_name": "Sales"},
    json=[
        {
            "country_code": model_country,
            "region_code": model_region,
            "grouping": model_grouping,
        }
    ],
)

data_dates = response.json()
separator_date = int(len(data_dates) * 0.75)
train_dates = data_dates[:separator_date]
eval_dates = data_dates[separator_date:]

response = requests.post(
    team_project_url + f"/models/{existing_model_id}/refit",
    headers=headers,
    json={
        "model_detail": {
            "dataset_id": dataset_id,
            "train_dates": train_dates,
            "eval_dates": eval_dates,
        },
        "model_param": {"epochs": 500, "learning_rate": 0.001, "samples": 3},
    },
)
model_id = response.json()["IId"]
while True:
    print("Waiting for model to complete")
    response = requests.get(
        team_project_url + f"/models/{model_id}",
        headers=headers,
    )
    if response.json().get("Status") == "completed":
        break
    print(response.json())
    time.sleep(2)

# run attribution
response = requests.post(
    team_project_url + "/attributions",
    headers=headers,
    json={
        "model_id": model_id,
        "dataset_id": dataset_id,
        "start_date": data_dates[0],
        "end_date": data_dates[-1],
        "samples": 20,
    },
)
attribution_id = response.json()["IId"]

while True:
    print("Waiting for attribution to complete")
    response = requests.get(
        team_project_url + f"/attributions/{attribution_id}",
        headers=headers,
    )
    if response.json().get("Status") == "completed":
        break
    print(response.json())
    time.sleep(2)
