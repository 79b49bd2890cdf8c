# Loaded by every Python that `tameflare run` starts (its directory is put first on PYTHONPATH).
#
# Why: urllib, requests and httpx follow HTTP(S)_PROXY by themselves, but aiohttp does so only with
# trust_env=True (off by default), and urllib3's PoolManager and http.client never do: an unmodified
# agent using them would go straight out and never meet the gateway. This makes them follow the same
# variables: aiohttp sessions default to trust_env=True; PoolManager.urlopen hands proxied URLs to a
# ProxyManager; http.client sends plain HTTP to the proxy in absolute form and tunnels HTTPS with
# CONNECT. NO_PROXY (loopback at least) still goes direct.
#
# Threat model: it runs inside the agent's process, so it is a convenience, not a boundary (the agent
# can undo it, and `python -I` / `-S` skip it); only the network can force traffic through the
# gateway. It guarantees: the proxy credential goes to the proxy only (Proxy-Authorization, never to a
# target or inside a tunnel), TLS verification is unchanged, and it never breaks the interpreter: each
# patch is applied when its module is first imported, and a failure prints one line and leaves that
# module as it was. Nothing heavy is imported at start-up. Written for Python 3.6 and later.
#
# Then the sitecustomize that would have run without us (Debian ships one) runs as well.

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def _warn(what, err):
    sys.stderr.write("tameflare: %s not routed through the gateway (%s)\n" % (what, err))


def _proxy_for(scheme, host, port):
    """(host, port, 'Basic ...' or None) of the proxy for this target, or None to go direct."""
    env = os.environ
    url = env.get(scheme + "_proxy") or env.get(scheme.upper() + "_PROXY")
    if not url and scheme == "https":
        url = env.get("http_proxy") or env.get("HTTP_PROXY")
    if not url or not host:
        return None
    from urllib.parse import unquote, urlsplit
    from urllib.request import proxy_bypass_environment

    if proxy_bypass_environment(host):
        return None
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return None
    if parts.hostname == host and (parts.port or 80) == port:
        return None  # the proxy itself
    auth = None
    if parts.username is not None:
        import base64

        pair = "%s:%s" % (unquote(parts.username), unquote(parts.password or ""))
        auth = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return parts.hostname, parts.port or 80, auth


def _patch_http_client(module):
    plain_connect = module.HTTPConnection.connect
    plain_putrequest = module.HTTPConnection.putrequest
    secure_connect = module.HTTPSConnection.connect

    def putrequest(self, method, url, *args, **kwargs):
        # Plain HTTP of http.client's own connect: absolute form to the proxy. Subclasses with a connect
        # of their own (urllib3) and connections already aimed at a proxy (set_tunnel) are left alone.
        proxy = None
        if (
            type(self).connect is connect
            and not isinstance(self, module.HTTPSConnection)
            and not self._tunnel_host
            and url.startswith("/")
        ):
            proxy = _proxy_for("http", self.host, self.port)
        self._tameflare_proxy = proxy
        if proxy:
            host = "[%s]" % self.host if ":" in self.host else self.host
            url = "http://%s%s%s" % (host, "" if self.port == 80 else ":%d" % self.port, url)
        plain_putrequest(self, method, url, *args, **kwargs)
        if proxy and proxy[2]:
            self.putheader("Proxy-Authorization", proxy[2])

    def connect(self):
        proxy = getattr(self, "_tameflare_proxy", None)
        if not proxy:
            return plain_connect(self)
        target = self.host, self.port
        self.host, self.port = proxy[0], proxy[1]
        try:
            return plain_connect(self)
        finally:
            self.host, self.port = target

    def https_connect(self):
        if not self._tunnel_host:
            proxy = _proxy_for("https", self.host, self.port)
            if proxy:
                # What http.client's own docs prescribe: connect to the proxy, CONNECT to the target;
                # TLS then checks the target's name (server_hostname is the tunnel host).
                self.set_tunnel(self.host, self.port, {"Proxy-Authorization": proxy[2]} if proxy[2] else None)
                self.host, self.port = proxy[0], proxy[1]
        return secure_connect(self)

    module.HTTPConnection.putrequest = putrequest
    module.HTTPConnection.connect = connect
    module.HTTPSConnection.connect = https_connect


def _patch_urllib3(module):
    from urllib3.poolmanager import PoolManager, ProxyManager

    plain_urlopen = PoolManager.urlopen

    def urlopen(self, method, url, *args, **kwargs):
        if not isinstance(self, ProxyManager):
            from urllib3.util.url import parse_url

            parsed = parse_url(url)
            scheme = parsed.scheme or "http"
            port = parsed.port or (443 if scheme == "https" else 80)
            proxy = _proxy_for(scheme, parsed.host, port) if scheme in ("http", "https") else None
            if proxy:
                managers = self.__dict__.setdefault("_tameflare_proxy_managers", {})
                manager = managers.get(proxy)
                if manager is None:
                    host = "[%s]" % proxy[0] if ":" in proxy[0] else proxy[0]
                    headers = {"Proxy-Authorization": proxy[2]} if proxy[2] else None
                    pool_kw = dict(self.connection_pool_kw)
                    # Debian's urllib3 1.26 pins /etc/ssl/certs/ca-certificates.crt instead of the
                    # default paths, so it would ignore SSL_CERT_FILE (roots plus the gateway CA).
                    trust = ("ca_certs", "ca_cert_dir", "ca_cert_data", "ssl_context")
                    if os.environ.get("SSL_CERT_FILE") and not any(pool_kw.get(k) for k in trust):
                        pool_kw["ca_certs"] = os.environ["SSL_CERT_FILE"]
                    manager = ProxyManager(
                        "http://%s:%d" % (host, proxy[1]), headers=self.headers, proxy_headers=headers, **pool_kw
                    )
                    managers[proxy] = manager
                return manager.urlopen(method, url, *args, **kwargs)
        return plain_urlopen(self, method, url, *args, **kwargs)

    PoolManager.urlopen = urlopen


def _patch_aiohttp(module):
    session = module.ClientSession
    plain_init = session.__init__

    def __init__(self, *args, **kwargs):
        # Only the default changes: a caller who passes trust_env=False keeps it.
        kwargs.setdefault("trust_env", True)
        plain_init(self, *args, **kwargs)

    session.__init__ = __init__


class _Loader:
    """Runs the real loader, then the patch."""

    def __init__(self, loader, name, patch):
        self._loader, self._name, self._patch = loader, name, patch

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        try:
            self._patch(module)
        except Exception as err:  # a patch must never break the import
            _warn(self._name, err)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _PatchOnImport:
    """A meta path finder that wraps the loader of the few modules patched here."""

    def __init__(self, patches):
        self._patches = patches

    def find_spec(self, name, path=None, target=None):
        patch = self._patches.get(name)
        if patch is None:
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        spec.loader = _Loader(spec.loader, name, patch)
        return spec


def _install():
    env = os.environ
    if not any(env.get(v) for v in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY")):
        return
    patches = {
        "http.client": _patch_http_client,
        "urllib3.poolmanager": _patch_urllib3,
        "aiohttp.client": _patch_aiohttp,
    }
    for name in list(patches):
        if name in sys.modules:  # imported before us (unusual): patch it now
            try:
                patches.pop(name)(sys.modules[name])
            except Exception as err:
                _warn(name, err)
    sys.meta_path.insert(0, _PatchOnImport(patches))


def _chain():
    """Runs the sitecustomize that Python would have found without us."""
    from importlib.machinery import PathFinder
    from importlib.util import module_from_spec

    rest = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
    spec = PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(module_from_spec(spec))


try:
    _install()
except Exception as err:
    _warn("Python HTTP clients", err)
_chain()
