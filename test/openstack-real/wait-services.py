"""Waits until Nova's compute/conductor/scheduler and Cinder's volume/scheduler report `up`.

Usage: wait-services.py SECONDS (env: KS, ADMIN_PASSWORD). Exits non-zero naming what is down.
"""
import os
import sys
import time

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

WANT = {'compute': {'nova-compute', 'nova-conductor', 'nova-scheduler'},
        'volumev3': {'cinder-volume', 'cinder-scheduler'}}


def main():
    deadline = time.time() + float(sys.argv[1])
    auth = v3.Password(auth_url=os.environ['KS'] + '/v3', username='admin', password=os.environ['ADMIN_PASSWORD'],
                       user_domain_id='default', project_name='admin', project_domain_id='default')
    sess = ks_session.Session(auth=auth)
    down = {}
    while time.time() < deadline:
        down = {}
        for stype, want in WANT.items():
            try:
                r = sess.get('/os-services', endpoint_filter={'service_type': stype, 'interface': 'public'}, raise_exc=False)
                services = r.json().get('services', []) if r.status_code == 200 else []
            except Exception as err:  # the API may still be starting
                services = []
                down[stype] = str(err)
            up = {s['binary'] for s in services if s.get('state') == 'up' and s.get('status') == 'enabled'}
            missing = want - up
            if missing:
                down[stype] = ', '.join(sorted(missing))
        if not down:
            print('all services up')
            return 0
        time.sleep(2)
    print('not up:', down, file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main())
