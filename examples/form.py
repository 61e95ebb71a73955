"""A form with many widgets: Python validates the input and answers below the form.

    livedoc serve examples/form.py

Every input widget BokehJS offers in one page: text, password, numbers, dates, choices,
toggles, colors and a file. Submit sends nothing special: each widget's value is already in
Python, and the submit button's click runs the check.
"""

import datetime as dt

from livedoc import curdoc
from livedoc.models import (
    AutocompleteInput,
    Button,
    CheckboxButtonGroup,
    CheckboxGroup,
    ColorPicker,
    DatePicker,
    DateRangeSlider,
    Div,
    Dropdown,
    FileInput,
    MultiChoice,
    MultiSelect,
    NumericInput,
    Paragraph,
    PasswordInput,
    PreText,
    RadioButtonGroup,
    RadioGroup,
    RangeSlider,
    Select,
    Spinner,
    Switch,
    TabPanel,
    Tabs,
    TextAreaInput,
    TextInput,
    Toggle,
)
from livedoc.plotting import column, row

CITIES = ["Amsterdam", "Berlin", "Copenhagen", "Dublin", "Edinburgh", "Florence", "Geneva"]

name = TextInput(title="name", placeholder="your name", name="name")
password = PasswordInput(title="password", placeholder="at least 8 characters", name="password")
age = NumericInput(title="age", value=30, low=0, high=130, name="age")
guests = Spinner(title="guests", low=0, high=10, step=1, value=1, name="guests")
city = AutocompleteInput(title="city", completions=CITIES, placeholder="start typing", name="city")
arrival = DatePicker(title="arrival", value=dt.date(2026, 6, 1), name="arrival")
stay = DateRangeSlider(title="stay", start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 30),
                       value=(dt.date(2026, 6, 1), dt.date(2026, 6, 5)), name="stay")  # fmt: skip
budget = RangeSlider(title="budget per night", start=0, end=500, step=10, value=(80, 200),
                     name="budget")  # fmt: skip
room = Select(title="room", value="double", options=["single", "double", "suite"], name="room")
extras = MultiChoice(title="extras", options=["breakfast", "parking", "late checkout", "spa"],
                     value=["breakfast"], name="extras")  # fmt: skip
diet = MultiSelect(title="diet", options=["vegetarian", "vegan", "gluten free", "halal"],
                   size=4, name="diet")  # fmt: skip
travel = RadioGroup(labels=["train", "car", "plane"], active=0, name="travel")
floor = RadioButtonGroup(labels=["low floor", "any", "high floor"], active=1, name="floor")
amenities = CheckboxGroup(labels=["quiet room", "balcony", "bathtub"], active=[0], name="amenities")
pillows = CheckboxButtonGroup(labels=["soft", "firm", "extra"], active=[], name="pillows")
newsletter = Switch(active=False, name="newsletter")
invoice = Toggle(label="company invoice", active=False, name="invoice")
color = ColorPicker(title="favourite color", color="#1f77b4", name="color")
notes = TextAreaInput(title="notes", rows=3, placeholder="anything else?", name="notes")
document = FileInput(title="ID document", accept=".pdf,.png,.jpg", name="document")
language = Dropdown(label="language: English", menu=["English", "Deutsch", "Français"],
                    name="language")  # fmt: skip
submit = Button(label="submit", button_type="success", name="submit")
answer = Div(text="", name="answer")
echo = PreText(text="", name="echo")


def on_language(event: object) -> None:
    language.label = f"language: {event.item}"  # type: ignore[attr-defined]


def on_submit() -> None:
    problems = []
    if not name.value.strip():
        problems.append("a name")
    if len(password.value) < 8:
        problems.append("a password of at least 8 characters")
    if not city.value:
        problems.append("a city")
    if problems:
        answer.text = "<b>Please give</b> " + ", ".join(problems) + "."
        return
    low, high = budget.value
    answer.text = (
        f"<b>Thank you, {name.value}.</b> {room.value} room in {city.value} for "
        f"{guests.value} guest(s), {low:.0f} to {high:.0f} a night, extras: "
        f"{', '.join(extras.value) or 'none'}."
    )
    echo.text = f"travel by {travel.labels[travel.active]}, newsletter: {newsletter.active}"


language.on_menu_click(on_language)
submit.on_click(on_submit)
booking = column(
    row(name, password),
    row(age, guests, city),
    row(arrival, room),
    stay,
    budget,
    row(extras, diet),
    row(column(Paragraph(text="travel"), travel), column(Paragraph(text="amenities"), amenities)),
    floor,
    pillows,
    row(Paragraph(text="newsletter"), newsletter, invoice, language),
)
details = column(color, notes, document)
doc = curdoc()
doc.title = "livedoc: form"
doc.add_root(
    column(
        Tabs(
            tabs=[
                TabPanel(title="booking", child=booking),
                TabPanel(title="details", child=details),
            ]
        ),
        submit,
        answer,
        echo,
    )
)
