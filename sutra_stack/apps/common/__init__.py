"""Pieces every app process shares: body-size limit, error responses, health/ready, serving uvicorn."""
