# The vendor's "Full code example" (Datrics AutoModel APIs, seed 002), copied verbatim.
# The test swaps in the URL, secret, user and model by plain text replacement.
import jwt
import json
import requests
from time import sleep

API_BASE_URL = 'https://api.app.datrics.ai/api/v1/proxy/pipeline/model/predict'

API_SECRET = ""
USER_DATA = {
    "userId": "",
    "email": ""
}

API_RETURN_ONLY_PREDICTIONS=False
MODEL_PATH = ""
MODEL_BUCKET = ""
MODEL_REQUEST_DATA = [
    {
        "pclass": 0,
        "sex": 0,
        "age": 29,
        "sibsp": 0,
        "parch": 0,
        "fare": 211.3375,
        "embarked": 2
    }
]

def main():
    # we generate access token to access API
    token = generate_access_token(USER_DATA, API_SECRET)

    # we start the preiction task and getting back it's ID
    task_id = create_prediction_task(MODEL_REQUEST_DATA, token)
    
    # we poll server with this ID to get the prediction result
    if task_id is not None:
        result = poll_task_for_result(task_id, token)
        print(f"Prediction result: {result}")
    else:
        print("Cannot authenticate")

def generate_access_token(user_data, secret):
    return jwt.encode(user_data, secret, algorithm="HS256")

def create_prediction_task(data, token):
    r = requests.post(
        # this URL you can get in datrics in model deployment info
        f'{API_BASE_URL}?path={MODEL_PATH}&bucket={MODEL_BUCKET}&return_only_prediction={API_RETURN_ONLY_PREDICTIONS}', 
        data=json.dumps(data),
        headers={
            'authorization': f'Bearer {token}',
            'content-type': 'application/json;charset=UTF-8',
        }
    )
    return r.json().get('id')

def poll_task_for_result(task_id, token):
    while True:
        r = requests.get(
            f'{API_BASE_URL}/info/{task_id}',
            headers={
                'authorization': f'Bearer {token}'
            }
        )
        result = r.json()
        if result.get('state') == 'SUCCESS':
            return result
        elif result.get('state') == 'STARTED':
            sleep(1)
        else:
            return {
                'error': result
            }

if __name__ == '__main__':
    main()
