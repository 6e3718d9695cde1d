"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Environment: BIND, PORT (8000), WEB_CONCURRENCY (workers, default 2 × cores + 1),
GUNICORN_THREADS (4), GUNICORN_TIMEOUT (60 s).

gunicorn listens on 127.0.0.1:$PORT: only the reverse proxy on the same machine reaches
it. That matters because, behind the proxy, SECURE_PROXY_SSL_HEADER=on makes Django
believe the X-Forwarded-Proto header; anyone who could reach gunicorn directly could
send "X-Forwarded-Proto: https" over plain HTTP and be taken for an HTTPS visitor
(secure cookies, no redirect to HTTPS). When the proxy runs on another host (or in
another container), set BIND to the address it reaches, e.g. BIND=10.0.0.5:8000, or
BIND=0.0.0.0:8000 only where a firewall lets nothing but the proxy connect; BIND wins
over PORT and may list several addresses separated by commas.
"""

import multiprocessing
import os

bind = [
    address.strip()
    for address in (os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or '8000'}").split(",")
    if address.strip()
]
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then, against slow leaks
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# One JSON object a line, like the app's own logs.
access_log_format = (
    '{"time":"%(t)s","remote":"%(h)s","method":"%(m)s","path":"%(U)s","query":"%(q)s",'
    '"status":%(s)s,"bytes":"%(B)s","duration_ms":%(M)s,"user_agent":"%(a)s"}'
)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
