# Tanxin in a container: one image for web, worker and beat (docker-compose.yml starts each with its
# own command). Build: docker build -t tanxin . (docs/operations.md, "Containers").
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A user without a login shell or privileges runs everything.
RUN groupadd --system tanxin \
    && useradd --system --gid tanxin --home-dir /opt/tanxin --shell /usr/sbin/nologin tanxin

WORKDIR /opt/tanxin
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY --chown=root:root . .
# Static files at build time, with the embedded settings (they need no secret; STATIC_ROOT is the
# same in production): hashed names and .gz copies for whitenoise.
RUN DJANGO_SETTINGS_MODULE=config.settings.local TANXIN_VAR_DIR=/tmp/build-var \
        python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var \
    && mkdir -p /var/lib/tanxin \
    && chown tanxin:tanxin /var/lib/tanxin

ENV DJANGO_SETTINGS_MODULE=config.settings.production \
    TANXIN_VAR_DIR=/var/lib/tanxin \
    GUNICORN_BIND=0.0.0.0:8000

USER tanxin
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
