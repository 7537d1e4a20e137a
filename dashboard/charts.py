"""The numbers the charts draw (static/js/dashboard.js reads them from a json_script element): the same
numbers the tables beside them show, as plain floats and labels."""


def _number(value):
    return float(value) if value is not None else None


def chart_data(figures: dict) -> dict:
    trend = figures["trend"]
    top_categories = [row for row in figures["categories"] if row["awarded_tonnes"] or row["listed_tonnes"]][:10]
    return {
        "trend": {
            "labels": [row["month"].strftime("%Y-%m") for row in trend],
            "awarded": [_number(row["awarded_tonnes"]) for row in trend],
            "completed": [_number(row["completed_tonnes"]) for row in trend],
            "banten": [_number(row["awarded_banten_share"]) for row in trend],
            "japnas": [_number(row["awarded_japnas_share"]) for row in trend],
        },
        "routes": {
            "labels": [str(row["label"]) for row in figures["routes"]],
            "tonnes": [_number(row["awarded_tonnes"]) for row in figures["routes"]],
        },
        "categories": {
            "labels": [row["name"] for row in top_categories],
            "listed": [_number(row["listed_tonnes"]) for row in top_categories],
            "awarded": [_number(row["awarded_tonnes"]) for row in top_categories],
            "completed": [_number(row["completed_tonnes"]) for row in top_categories],
        },
    }
