# Copied verbatim from the vendor page (seed 003, "Retrain Data Upload API", Execution Example 1).
# tests/emulators/sony_epa/test_sony_examples.py runs it with only the URL, key, names and paths replaced.
import requests
import tempfile
import zipfile
import subprocess

api_url = 'https://developer-api.easy-predictive-analytics.sony.com/v1/external/retrain_jobs/upload_url'
api_key = 'YOUR_API_KEY'

headers = {'x-api-key': api_key}


# When Using a Training File Only
re_train_data_file_path = 'YOUR_RE_TRAIN_DATA_FILE_PATH'
re_train_data_file_name = 'YOUR_RE_TRAIN_DATA_FILE_NAME'

# request
params = {'filename': re_train_data_file_name}
response = requests.get(api_url, params=params, headers=headers)
response_json = response.json()
retrain_job_id = response_json['retrain_job_id']
upload_url = response_json['upload_url']

# upload_file
with open(re_train_data_file_path, 'rb') as f:
  data = f.read()
res = requests.put(upload_url, data=data)

# When Using Both a Training File and Evaluation File
re_train_zip_file_name = 'YOUR_RE_TRAIN_ZIP_FILE_NAME'
re_train_data_file_name = 'YOUR_RE_TRAIN_DATA_FILE_NAME'
re_train_data_file_path = 'YOUR_RE_TRAIN_DATA_FILE_PATH'
re_train_eval_data_file_name = 'YOUR_RE_TRAIN_EVAL_DATA_FILE_NAME'
re_train_eval_data_file_path = 'YOUR_RE_TRAIN_EVAL_DATA_FILE_PATH'

"""
dir_name
  |   |--train_src
  |   |   |--train_data.csv
  |   |--eval_src
  |   |   |--eval_data.csv
"""

with tempfile.TemporaryDirectory() as temp:
  zip_file_path = f'{temp}/{re_train_zip_file_name}'
	with zipfile.ZipFile(zip_file_path, 'w', compression=zipfile.ZIP_DEFLATED) as zf:
		zf.write(re_train_data_file_path, arcname=f'train_src/{re_train_data_file_name}')
		zf.write(re_train_eval_data_file_path, arcname=f'eval_src/{re_train_eval_data_file_name}')

  # request
  params = {'filename': re_train_zip_file_name}
  response = requests.get(api_url, params=params, headers=headers)
  response_json = response.json()
  retrain_job_id = response_json['retrain_job_id']
  upload_url = response_json['upload_url']

  # upload_file
  with open(zip_file_path, 'rb') as f:
    data = f.read()
  res = requests.put(upload_url, data=data)
  ret = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
