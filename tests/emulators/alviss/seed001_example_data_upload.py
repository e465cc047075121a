# Copied from the vendor's API documentation (seed 001, "Example data upload"). The page shows this
# script collapsed into a single line; its lines are broken again where the statements end and the
# loop bodies are indented. No token of code is changed.
""" Script to upload files and create a dataset in Alviss AI. see https://api.alviss.io/v1/api/docs#/ for the API documentation """
import time
import requests
url = "https://app.alviss.io/api/v1/api"
token = "<set me>" # access token created in https://app.alviss.io/-/user
team_id = "<set me>"
project_id = "<set me>"
file_path = "<set me>" # the file we want to upload
headers = {"Authorization": "Bearer " + token}
team_project_url = url + f"/projects/{team_id}/{project_id}"
# Create a data upload
response = requests.post( team_project_url + "/datauploads", headers=headers, params={"dataset_name": "Sales"}, # the file type: [Sales,Events, Media, Extra, .....]
files={"file": open(file_path, "rb")}, )
# wait for the dataupload to be completed
upload_id = response.json().get("upload_id")
while True:
    response = requests.get( team_project_url + f"/datauploads/{upload_id}", headers=headers, )
    if response.json().get("Status") == "complete":
        break
    print(response.json())
    time.sleep(1)
# create the dataset
response = requests.post( team_project_url + "/datasets", headers=headers, json={ "upload_ids": [upload_id], # "activate": True, # if one want to activate the dataset right away
# "dataset_ids": [8], # used to extend a dataset
}, )
dataset_id = response.json().get("IId")
# wait for the dataupload to complete
while True:
    response = requests.get( team_project_url + f"/datasets/{dataset_id}", headers=headers, )
    if response.json().get("Status") == "complete":
        break
    print(response.json())
    time.sleep(1)
# activate the dataset
response = requests.post( team_project_url + f"/datasets/{dataset_id}/activate", headers=headers, )
