# Production image: the same code and commands as `make run`, configured by the environment.
FROM python:3.13-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY hub hub
COPY shared_tools shared_tools
COPY governance governance
COPY notifications notifications
COPY frontend frontend
COPY locale locale
COPY manage.py Procfile ./
RUN pip install --no-cache-dir . \
    && DJANGO_DEBUG=1 python manage.py collectstatic --noinput
RUN useradd --create-home asso && mkdir -p /app/var && chown -R asso /app/var
USER asso
EXPOSE 8000
CMD ["uvicorn", "hub.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--no-access-log", "--lifespan", "off"]
