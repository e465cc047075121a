# Copied from the vendor's API documentation (seed 001, "Extend Active Attribution Set"). The page
# shows the code without indentation; the loop body is indented again. No token of code is changed.
import time
import requests
url = "https://app.alviss.io/api/v1/api"
token = "<SET ME>"
team_id = "<SET ME>"
project_id = "<SET ME>"
headers = {"Authorization": "Bearer " + token}
team_project_url = url + f"/projects/{team_id}/{project_id}"
# get active attribution set
response = requests.get(
team_project_url + "/attributionset/active",
headers=headers,
)
attribution_id = 5
attribution_ids = [_attr["IId"] for _attr in response.json()["Attributions"]]
response = requests.post(
team_project_url + "/attributionset_align_dates",
headers=headers,
json={
"attributionjob_ids": [attribution_id, *attribution_ids],
"active": False, # set to True if you want to make this attribution set active
},
)
attribution_set_id = response.json().get("IId")
while True:
    print("Waiting for attribution set to complete")
    response = requests.get(
    team_project_url + f"/attributionset/{attribution_set_id}",
    headers=headers,
    )
    if response.json().get("Status") == "complete":
        break
    print(response.json())
    time.sleep(2)
# manually activate the attribution set
response = requests.patch(
team_project_url + f"/attributionset/{attribution_set_id}/activate",
headers=headers,
)
