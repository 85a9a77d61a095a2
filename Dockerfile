# exchange-monitor: `docker build -t exchange-monitor .`, then see deploy/compose.yaml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MONITOR_WEB__HOST=0.0.0.0 \
    MONITOR_WEB__PORT=9464 \
    MONITOR_NOTIFY__OUTBOX_PATH=/data/outbox.sqlite3 \
    MONITOR_STORE__PATH=/data/history.sqlite3

WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
RUN pip install --no-cache-dir .

RUN useradd --system --uid 10001 --home-dir /app monitor && mkdir /data && chown monitor /data
USER monitor
VOLUME /data
EXPOSE 9464

HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('MONITOR_WEB__PORT', '9464') + '/healthz', timeout=4)"]

CMD ["python", "-m", "monitor"]
