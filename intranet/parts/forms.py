from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from intranet.parts.models import AbcClass

# Numbers are read as text and parsed by the services (decimal_from), so a typo comes back with the
# service's message next to the field and what was typed stays in the box.
DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}


class PartForm(FlaskForm):
    number = StringField(_l("Part number"), validators=[DataRequired(_l("Enter the part number."))],
                         render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    name = StringField(_l("Part name"), validators=[DataRequired(_l("Enter the part's name."))])
    fitment = StringField(_l("Fits (models)"), validators=[Optional()])
    abc_class = SelectField(_l("ABC class"), choices=lambda: [SelectChoice(c.value, c.label) for c in AbcClass],
                            default="C")
    unit = StringField(_l("Unit"), default="件", validators=[Optional()])
    cost = StringField(_l("Cost (¥)"), validators=[Optional()], render_kw=DECIMAL)
    price = StringField(_l("Price (¥)"), validators=[Optional()], render_kw=DECIMAL)
    reorder_point = StringField(_l("Reorder point"), validators=[Optional()], render_kw=DECIMAL)
    reorder_quantity = StringField(_l("Reorder quantity"), validators=[Optional()], render_kw=DECIMAL)
    supplier_id = SelectField(_l("Usual supplier"), choices=[], validate_choice=False)
    bin_code = StringField(_l("Bin (store-shelf-layer-position)"), validators=[Optional()],
                           render_kw={"autocomplete": "off", "autocapitalize": "characters", "placeholder": "A-03-2-05"})
    opening = StringField(_l("Opening stock"), validators=[Optional()], render_kw=DECIMAL)


class ReturnForm(FlaskForm):
    repair_order = StringField(_l("Plate or repair order"), validators=[DataRequired(_l("Enter the plate or the "
                                                                                       "repair order number."))],
                               render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    part_number = StringField(_l("Part number"), validators=[DataRequired(_l("Enter the part number."))],
                              render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    quantity = StringField(_l("Quantity"), default="1", validators=[DataRequired(_l("Enter a quantity greater than zero."))],
                           render_kw=DECIMAL)
    note = StringField(_l("Why it came back"), validators=[Optional()])


class ReserveForm(FlaskForm):
    repair_order = StringField(_l("Plate or repair order"), validators=[DataRequired(_l("Enter the plate or the "
                                                                                       "repair order number."))],
                               render_kw={"autocomplete": "off", "autocapitalize": "characters"})
    quantity = StringField(_l("Quantity"), default="1", validators=[DataRequired(_l("Enter a quantity greater than zero."))],
                           render_kw=DECIMAL)
