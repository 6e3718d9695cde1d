"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Environment: BIND, PORT (8000), WEB_CONCURRENCY (workers, default 2 × cores + 1),
GUNICORN_THREADS (4), GUNICORN_TIMEOUT (60 s), GUNICORN_KEEPALIVE (0 s).

Each connection is closed after its answer (keepalive 0). A gthread worker keeps a
kept-alive connection to itself, and one worker process runs Python on one core at a time:
the few long-lived connections of a proxy (or of browsers reaching gunicorn directly) then
pile onto some workers while others idle. The 50-user load test (bench/load.py) found its
connections spread 29/27/15/9 over four workers and their CPU time 4 : 2.6 : 1.9 : 1,
with most requests queued behind the busiest worker. Closed after each answer, every
request is accepted by whichever worker is free; a new connection from the proxy on the
same host or network costs well under a millisecond.

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
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "0"))
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
