"""The evaluation harnesses (`python -m chatrec eval ...`): public data sets through the product's own reader,
ranking and turn, never copies of them."""
