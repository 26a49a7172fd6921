"""The OpenAPI document: generated from the route table (service/web/routes.py) and the models."""
