# Read by the `flask` command only (python-dotenv): local commands run in development mode.
# gunicorn does not read this file, so production keeps its strict defaults.
FLASK_APP=intranet
INTRANET_ENV=development
