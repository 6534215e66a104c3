import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casecenter.settings")
application = get_wsgi_application()
# What start-up loaded (Django, the apps, the URL and template machinery) lives as long as the
# process: keep it out of the cyclic collector's full passes, which otherwise stall one request
# in every few dozen (about 160 ms of CPU on the statistics page here: the reports' p99).
gc.freeze()
