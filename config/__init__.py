"""Tanxin project configuration: settings, URL roots, the API router and the Celery app."""

from config.celery import app as celery_app

__all__ = ("celery_app",)
