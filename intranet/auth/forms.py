from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(_l("Enter your user name."))],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "autocorrect": "off"})
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this tablet"))
