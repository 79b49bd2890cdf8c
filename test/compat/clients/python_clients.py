# One request with one Python client, as an agent would make it: `python3 python_clients.py CLIENT`.
# Unmodified client code: no proxy or CA settings, only the agent's dummy credential (COMPAT_DUMMY).
# Prints one line describing the answer; exits 1 with the client's own error message on failure.
import json
import os
import sys

DUMMY = os.environ.get("COMPAT_DUMMY", "dummy")
AUTH = {"Authorization": "Bearer " + DUMMY}
REPO = "https://api.github.com/repos/octo/hello"


def upstream(body):
    return json.loads(body)["upstream"]


def urllib_request():
    import urllib.request

    req = urllib.request.Request(REPO + "?via=urllib", headers=AUTH)
    with urllib.request.urlopen(req) as r:
        return "%d %s" % (r.status, upstream(r.read()))


def requests_():
    import requests

    r = requests.get(REPO + "?via=requests", headers=AUTH)
    return "%d %s" % (r.status_code, upstream(r.content))


def httpx_():
    import httpx

    r = httpx.get(REPO + "?via=httpx", headers=AUTH)
    return "%d %s" % (r.status_code, upstream(r.content))


def aiohttp_():
    import asyncio

    import aiohttp

    async def main():
        async with aiohttp.ClientSession() as session:
            async with session.get(REPO + "?via=aiohttp", headers=AUTH) as r:
                return "%d %s" % (r.status, upstream(await r.read()))

    return asyncio.run(main())


def urllib3_():
    import urllib3

    r = urllib3.PoolManager().request("GET", REPO + "?via=urllib3", headers=AUTH)
    return "%d %s" % (r.status, upstream(r.data))


def urllib3_plain():
    import urllib3

    r = urllib3.PoolManager().request("GET", "http://plain.test/items?via=urllib3-plain", headers=AUTH)
    return "%d %s" % (r.status, upstream(r.data))


def http_client():
    import http.client

    conn = http.client.HTTPSConnection("api.github.com")
    conn.request("GET", "/repos/octo/hello?via=http.client", headers=AUTH)
    r = conn.getresponse()
    first = "%d %s" % (r.status, upstream(r.read()))
    # A second request on the same (kept-alive) connection.
    conn.request("GET", "/repos/octo/hello?via=http.client-again", headers=AUTH)
    r = conn.getresponse()
    return "%s %d" % (first, r.status)


def http_client_plain():
    import http.client

    conn = http.client.HTTPConnection("plain.test")
    conn.request("GET", "/items?via=http.client-plain", headers=AUTH)
    r = conn.getresponse()
    return "%d %s" % (r.status, upstream(r.read()))


# "*-denied": the same library making a call the agent is refused (github.repo.delete), as an agent
# would write it (raise_for_status where the library does not raise itself); the suite checks that
# the error printed says why.
def urllib_denied():
    import urllib.request

    req = urllib.request.Request(REPO, headers=AUTH, method="DELETE")
    with urllib.request.urlopen(req) as r:
        return "%d" % r.status


def requests_denied():
    import requests

    r = requests.delete(REPO, headers=AUTH)
    r.raise_for_status()
    return "%d" % r.status_code


def httpx_denied():
    import httpx

    r = httpx.delete(REPO, headers=AUTH)
    r.raise_for_status()
    return "%d" % r.status_code


def aiohttp_denied():
    import asyncio

    import aiohttp

    async def main():
        async with aiohttp.ClientSession(raise_for_status=True) as session:
            async with session.delete(REPO, headers=AUTH) as r:
                return "%d" % r.status

    return asyncio.run(main())


CLIENTS = {
    "urllib-denied": urllib_denied,
    "requests-denied": requests_denied,
    "httpx-denied": httpx_denied,
    "aiohttp-denied": aiohttp_denied,
    "urllib": urllib_request,
    "requests": requests_,
    "httpx": httpx_,
    "aiohttp": aiohttp_,
    "urllib3": urllib3_,
    "urllib3-plain": urllib3_plain,
    "http.client": http_client,
    "http.client-plain": http_client_plain,
}

if __name__ == "__main__":
    name = sys.argv[1]
    try:
        print(CLIENTS[name]())
    except Exception as err:
        sys.stderr.write("%s failed: %s: %s\n" % (name, type(err).__name__, err))
        sys.exit(1)
