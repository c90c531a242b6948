"""Flask extensions, created unbound; `create_app` binds them."""

from flask_babel import Babel
from flask_compress import Compress
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
htmx = Htmx()
compress = Compress()
