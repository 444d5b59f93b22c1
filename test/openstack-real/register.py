"""Registers the services, their users and the catalog in Keystone, and the tests' credentials.

Idempotent: everything is looked up by name first; endpoints are fixed when their URL differs;
the application credentials in $STATE/credentials.json are reused while they still authenticate.
Run by `up` with /usr/bin/python3 (Debian's keystoneclient); prints no secret.
"""
import json
import os
import sys

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystoneauth1 import exceptions as ks_exc
from keystoneclient.v3 import client as ks_client

STATE = os.environ['STATE']
KS = os.environ['KS'] + '/v3'
HOST = os.environ['HOST']
ADMIN_PW = os.environ['ADMIN_PASSWORD']
SERVICE_PW = os.environ['SERVICE_PASSWORD']
REGION = 'RegionOne'

SERVICES = [
    # name, type, url
    ('glance', 'image', f'http://{HOST}:9292'),
    ('placement', 'placement', f'http://{HOST}:8778'),
    ('nova', 'compute', f'http://{HOST}:8774/v2.1'),
    ('cinderv3', 'volumev3', f'http://{HOST}:8776/v3/%(project_id)s'),
    ('neutron', 'network', f'http://{HOST}:9696'),
    ('swift', 'object-store', f'http://{HOST}:8090/v1/AUTH_%(project_id)s'),
]
SERVICE_USERS = ['glance', 'placement', 'nova', 'cinder', 'neutron', 'swift']


def password_session(username, password, project):
    auth = v3.Password(auth_url=KS, username=username, password=password, user_domain_id='default',
                       project_name=project, project_domain_id='default')
    return ks_session.Session(auth=auth)


def can_log_in(username, password, project):
    try:
        password_session(username, password, project).get_token()
        return True
    except ks_exc.ClientException:
        return False


def one(items):
    return items[0] if items else None


def main():
    ks = ks_client.Client(session=password_session('admin', ADMIN_PW, 'admin'))
    roles = {r.name: r for r in ks.roles.list()}
    for name in ['service', 'member', 'reader', 'ResellerAdmin']:
        if name not in roles:
            roles[name] = ks.roles.create(name)
    service_project = one(ks.projects.list(name='service', domain='default')) \
        or ks.projects.create('service', 'default', description='OpenStack services')
    admin_project = one(ks.projects.list(name='admin', domain='default'))
    admin_user = one(ks.users.list(name='admin', domain='default'))

    for name in SERVICE_USERS:
        user = one(ks.users.list(name=name, domain='default'))
        if user:
            # A password change revokes the user's tokens: only when it does not log in already.
            if not can_log_in(name, SERVICE_PW, 'service'):
                ks.users.update(user, password=SERVICE_PW)
        else:
            user = ks.users.create(name, domain='default', password=SERVICE_PW, default_project=service_project)
        for role in ['admin', 'service']:
            ks.roles.grant(roles[role], user=user, project=service_project)

    for name, stype, url in SERVICES:
        svc = one(ks.services.list(type=stype)) or ks.services.create(name, stype)
        existing = {e.interface: e for e in ks.endpoints.list(service=svc)}
        for iface in ['public', 'internal', 'admin']:
            ep = existing.get(iface)
            if ep is None:
                ks.endpoints.create(svc, url, interface=iface, region=REGION)
            elif ep.url != url:
                ks.endpoints.update(ep, url=url)

    # The tests' identities: admin (with Swift's reseller-admin role, as a sweep account needs to
    # reach other projects' containers) and a member of one project.
    ks.roles.grant(roles['ResellerAdmin'], user=admin_user, project=admin_project)
    live = one(ks.projects.list(name='stratus-member-home', domain='default')) \
        or ks.projects.create('stratus-member-home', 'default', description='the member credential\'s project')
    member_pw = 'member-' + SERVICE_PW[:16]
    member = one(ks.users.list(name='stratus-member', domain='default'))
    if member:
        if not can_log_in('stratus-member', member_pw, 'stratus-member-home'):
            ks.users.update(member, password=member_pw)
    else:
        member = ks.users.create('stratus-member', domain='default', password=member_pw, default_project=live)
    ks.roles.grant(roles['member'], user=member, project=live)
    ks.roles.grant(roles['admin'], user=admin_user, project=live)

    path = os.path.join(STATE, 'credentials.json')
    old = {}
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)

    def app_credential(key, username, password, project, role_names):
        prev = old.get(key)
        if prev:
            try:
                s = ks_session.Session(auth=v3.ApplicationCredential(
                    auth_url=KS, application_credential_id=prev['id'], application_credential_secret=prev['secret']))
                s.get_token()
                return prev
            except ks_exc.ClientException:
                pass
        sess = password_session(username, password, project)
        client = ks_client.Client(session=sess)
        uid = sess.get_user_id()
        for ac in client.application_credentials.list(user=uid):
            if ac.name == f'stratus-{key}':
                client.application_credentials.delete(ac)
        ac = client.application_credentials.create(f'stratus-{key}', user=uid, roles=[{'name': r} for r in role_names],
                                                   description='stratus real-cloud suite')
        return {'id': ac.id, 'secret': ac.secret, 'projectId': sess.get_project_id()}

    creds = {
        'authUrl': KS,
        'region': REGION,
        'adminProjectId': admin_project.id,
        'memberProjectId': live.id,
        'admin': app_credential('admin', 'admin', ADMIN_PW, 'admin', ['admin', 'member', 'reader', 'ResellerAdmin']),
        'member': app_credential('member', 'stratus-member', member_pw, 'stratus-member-home', ['member', 'reader']),
        'adminPassword': {'username': 'admin', 'password': ADMIN_PW, 'userDomainName': 'Default',
                          'projectName': 'admin', 'projectDomainName': 'Default'},
        'memberPassword': {'username': 'stratus-member', 'password': member_pw, 'userDomainName': 'Default',
                           'projectName': 'stratus-member-home', 'projectDomainName': 'Default'},
    }
    fd = os.open(path + '.tmp', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        json.dump(creds, f, indent=2)
    os.replace(path + '.tmp', path)
    print('registered', len(SERVICES), 'services; credentials in', path)


if __name__ == '__main__':
    sys.exit(main())
