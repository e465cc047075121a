# Copied verbatim from the vendor's API documentation (seed 001, "Create a new model based on an excising model").
import requests
url = "https://app.alviss.io/api/v1/api"
token = "<SET ME>"
team_id = "<SET ME>"
project_id = "<SET ME>"
headers = {"Authorization": "Bearer " + token}
team_project_url = url + f"/projects/{team_id}/{project_id}"
target_model_id = 11
response = requests.get(
team_project_url + f"/models/{target_model_id}",
headers=headers,
)
model_info = response.json()
high_level_graph_id = model_info["GraphInstance"]["Graph"]["Id"]
dataset_id = model_info["DataSet"]["IId"]
response = requests.get(
team_project_url + f"/build/graphs/{high_level_graph_id}",
headers=headers,
)
high_level_graph = response.json()
response = requests.post(
team_project_url + f"/datasets/{dataset_id}/dates",
headers=headers,
params={"dataset_name": "Sales"},
json=[
{
"country_code": model_info["Country"],
"region_code": model_info["Region"],
"grouping": model_info["Grouping"],
}
],
)
data_dates = response.json()
separator_date = int(len(data_dates) * 0.75)
train_dates = data_dates[:separator_date]
eval_dates = data_dates[separator_date:]
# submit the model using high level graph
response = requests.post(
team_project_url + "/build/model",
headers=headers,
json={
"model_param": {
"epochs": 50,
"learning_rate": 0.01,
"samples": 2,
},
"model_detail": {
"dataset_id": dataset_id,
"train_dates": train_dates,
"eval_dates": eval_dates,
"activate": False, # auto activate
"modelling_combination": {
"country_code": model_info["Country"],
"region_code": model_info["Region"],
"grouping": model_info["Grouping"],
},
},
"graph_detail": {
"graph": {
"nodes": high_level_graph["nodes"],
"edges": high_level_graph["edges"],
}
},
},
)
# build model with low level graph
low_level_graph_id = model_info["GraphInstance"]["Id"]
response = requests.get(
url + f"/graph_instances/{team_id}/{low_level_graph_id}",
headers=headers,
)
low_level_graph = response.json()
response = requests.post(
team_project_url + "/build/model",
headers=headers,
json={
"model_param": {
"epochs": 50,
"learning_rate": 0.01,
"samples": 2,
},
"model_detail": {
"dataset_id": dataset_id,
"train_dates": train_dates,
"eval_dates": eval_dates,
"activate": False, # auto activate
"modelling_combination": {
"country_code": model_info["Country"],
"region_code": model_info["Region"],
"grouping": model_info["Grouping"],
},
},
"graph_detail": {
"graph": {
"nodes": low_level_graph["nodes"],
"edges": low_level_graph["edges"],
}
},
},
)
