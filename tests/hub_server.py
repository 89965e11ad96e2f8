"""A small Hugging Face Hub protocol server for tests.

The real, unchanged `huggingface_hub`, `transformers` and `datasets` clients talk to it through
`HF_ENDPOINT=http://127.0.0.1:PORT` (with `HF_HUB_DISABLE_XET=1`: uploads go through the Git LFS
batch API, downloads through plain `resolve` URLs). It implements only the routes those clients use
to push a folder and read it back, written against huggingface_hub 2.4.0 (`hf_api.py`,
`_commit_api.py`, `lfs.py`, `file_download.py`):

    POST /api/repos/create                                   create_repo (models, datasets, spaces)
    POST /api/validate-yaml                                  README metadata check before a commit
    GET  /api/agent-harnesses                                the client's telemetry registry (empty)
    POST /api/{type}s/{repo}/preupload/{rev}                 "regular" or "lfs" upload mode per file
    POST /{prefix}{repo}.git/info/lfs/objects/batch          LFS batch API (basic transfer) ...
    PUT  /lfs-objects/{oid}                                  ... and where the bytes go
    POST /api/{type}s/{repo}/commit/{rev}                    the NDJSON commit
    GET  /api/{type}s/{repo}[/revision/{rev}]                repo info
    GET  /api/{type}s/{repo}/tree/{rev}[/{path}]             tree listing
    POST /api/{type}s/{repo}/paths-info/{rev}                info on given paths
    GET|HEAD /{prefix}{repo}/resolve/{rev}/{path}            file download, with the Hub's headers

Every other request is answered 501 naming its method and path, and recorded in
`HubServer.unimplemented`, so a test can assert that the clients needed nothing else.
Repositories live in memory (commits with their file trees); file contents are stored once on
disk by sha256 under the server's root folder.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response

# Files the Hub's default .gitattributes sends to LFS, plus anything large or binary (the Hub rejects
# binary files outside LFS). Parquet shards and safetensors weights take the LFS batch path.
LFS_SUFFIXES = (".safetensors", ".parquet", ".arrow", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".h5",
                ".msgpack", ".npy", ".npz", ".pkl", ".zip", ".gz", ".png", ".jpg", ".jpeg", ".webp")
LFS_MIN_SIZE = 10 * 1024 * 1024
REPO_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}
# git and download URLs carry the repo type as a path prefix, the API as a path segment
URL_KINDS = (("", "models"), ("/datasets", "datasets"), ("/spaces", "spaces"))


def git_blob_oid(data: bytes) -> str:
    """The git object id of a blob: what the Hub reports as a regular file's `oid` and ETag."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The Git LFS pointer file that stands in the git tree for an LFS file."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


@dataclass(frozen=True)
class FileEntry:
    size: int
    sha256: str  # where the content is stored; an LFS file's oid
    lfs: bool
    git_oid: str  # the git blob id: of the content, or of the LFS pointer

    @classmethod
    def regular(cls, data: bytes, sha256: str) -> "FileEntry":
        return cls(len(data), sha256, False, git_blob_oid(data))

    @classmethod
    def large(cls, size: int, sha256: str) -> "FileEntry":
        return cls(size, sha256, True, git_blob_oid(lfs_pointer(sha256, size)))


@dataclass
class Commit:
    oid: str
    title: str
    date: str
    files: dict[str, FileEntry]


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    sdk: str | None = None
    commits: list[Commit] = field(default_factory=list)

    @property
    def url_path(self) -> str:
        return URL_PREFIXES[self.repo_type] + self.repo_id

    def commit(self, revision: str) -> Commit | None:
        """`main` (or an empty repo's HEAD) or any commit id, full or abbreviated."""
        if revision in ("main", "HEAD"):
            return self.commits[-1]
        return next((c for c in reversed(self.commits) if len(revision) >= 7 and c.oid.startswith(revision)), None)


def _bind_kind(handler, kind: str):
    """A route handler for one URL prefix: `kind` fixed, the other parameters left for FastAPI to fill."""

    async def route(request: Request):
        return await handler(kind, request=request, **request.path_params)

    return route


def _hub_error(status: int, code: str, message: str) -> JSONResponse:
    # huggingface_hub maps X-Error-Code to RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError
    return JSONResponse({"error": message}, status_code=status, headers={"X-Error-Code": code, "X-Error-Message": message})


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class HubStore:
    """Repositories, their commits and a content-addressed object folder."""

    def __init__(self, root: Path):
        self.objects = Path(root) / "objects"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lock = threading.Lock()

    def put_object(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.objects / sha256
        if not path.exists():
            path.with_suffix(".tmp").write_bytes(data)
            path.with_suffix(".tmp").rename(path)
        return sha256

    def object_path(self, sha256: str) -> Path:
        return self.objects / sha256

    def export_git(self, repo_type: str, repo_id: str, dest: str | Path) -> str:
        """Write a repo's head as the git repository `git clone` (with git-lfs) would leave: regular files as
        they are, LFS files as pointer files with their content under .git/lfs/objects. Needs only `git`
        (not git-lfs). Returns the new commit's id. This is what a local mirror such as olah serves."""
        head, dest = self.repos[(repo_type, repo_id)].commits[-1], Path(dest)
        git = ["git", "-C", str(dest), "-c", "user.name=hub", "-c", "user.email=hub@localhost"]
        dest.mkdir(parents=True)
        subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
        for path, entry in head.files.items():
            (dest / path).parent.mkdir(parents=True, exist_ok=True)
            if entry.lfs:
                (dest / path).write_bytes(lfs_pointer(entry.sha256, entry.size))
                lfs_object = dest / ".git" / "lfs" / "objects" / entry.sha256[:2] / entry.sha256[2:4] / entry.sha256
                lfs_object.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.object_path(entry.sha256), lfs_object)
            else:
                shutil.copyfile(self.object_path(entry.sha256), dest / path)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", head.title], check=True)
        return subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()

    def create_repo(self, repo_type: str, repo_id: str, sdk: str | None) -> tuple[Repo, bool]:
        with self.lock:
            key = (repo_type, repo_id)
            if key in self.repos:
                return self.repos[key], False
            repo = Repo(repo_type, repo_id, sdk)
            # like the Hub, a new repo has one commit with a .gitattributes
            attributes = "".join(f"*{suffix} filter=lfs diff=lfs merge=lfs -text\n" for suffix in LFS_SUFFIXES).encode()
            entry = FileEntry.regular(attributes, self.put_object(attributes))
            repo.commits.append(Commit(hashlib.sha1(f"{repo_type}/{repo_id}".encode()).hexdigest(), "initial commit",
                                       _now(), {".gitattributes": entry}))
            self.repos[key] = repo
            return repo, True


def create_app(store: HubStore, unimplemented: list[str], calls: list[str] | None = None) -> FastAPI:
    app = FastAPI(title="test Hub")

    if calls is not None:
        @app.middleware("http")
        async def record(request: Request, call_next):
            calls.append(f"{request.method} {request.url.path}")
            return await call_next(request)

    def find(kind: str, org: str, name: str, rev: str | None = "main"):
        """(repo, commit) or an error response: unknown type, repo or revision."""
        repo = store.repos.get((REPO_TYPES.get(kind, ""), f"{org}/{name}"))
        if repo is None:
            return None, _hub_error(404, "RepoNotFound", f"Repository {kind}/{org}/{name} not found")
        commit = repo.commit(rev or "main")
        if commit is None:
            return None, _hub_error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        return (repo, commit), None

    def base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def path_info(commit: Commit, path: str, expand: bool) -> dict:
        """One tree entry as the Hub lists it (file with its LFS block, or directory)."""
        entry = commit.files.get(path)
        info: dict = {"type": "file" if entry else "directory", "path": path}
        if entry:
            info.update(oid=entry.git_oid, size=entry.size)
            if entry.lfs:
                info["lfs"] = {"oid": entry.sha256, "size": entry.size,
                               "pointerSize": len(lfs_pointer(entry.sha256, entry.size))}
        else:
            info.update(oid=hashlib.sha1(f"{commit.oid}:{path}".encode()).hexdigest(), size=0)
        if expand:
            info["lastCommit"] = {"id": commit.oid, "title": commit.title, "date": commit.date}
        return info

    def directories(commit: Commit) -> set[str]:
        return {str(Path(p).parents[i]) for p in commit.files for i in range(len(Path(p).parents) - 1)}

    # ---------------------------------------------------------------- write side

    @app.post("/api/repos/create")
    async def create_repo(request: Request):
        body = await request.json()
        repo_type = body.get("type") or "model"
        if repo_type == "space" and body.get("sdk") not in ("gradio", "docker", "static", "streamlit"):
            return JSONResponse({"error": "a Space needs an sdk"}, status_code=400)
        repo_id = f"{body['organization']}/{body['name']}" if body.get("organization") else f"user/{body['name']}"
        repo, created = store.create_repo(repo_type, repo_id, body.get("sdk"))
        url = f"{base_url(request)}/{repo.url_path}"
        if not created:
            return JSONResponse({"error": "You already created this repo", "url": url}, status_code=409)
        return {"url": url, "name": repo_id, "id": repo_id}

    @app.post("/api/validate-yaml")
    async def validate_yaml(request: Request):
        """Parse the README's metadata the way huggingface_hub does, strictly: a malformed `model-index`
        (evaluation results) or a non-mapping YAML block is an error, as on the Hub."""
        from huggingface_hub import DatasetCard, ModelCard, SpaceCard

        body = await request.json()
        card_class = {"dataset": DatasetCard, "space": SpaceCard}.get(body.get("repoType"), ModelCard)
        try:
            card_class(body["content"], ignore_metadata_errors=False)
        except Exception as err:  # noqa: BLE001 - the message goes back to the client, like the Hub's
            return JSONResponse({"errors": [{"message": str(err)}]}, status_code=400)
        return {"errors": [], "warnings": []}

    @app.post("/api/{kind}/{org}/{name}/preupload/{rev}")
    async def preupload(kind: str, org: str, name: str, rev: str, request: Request):
        found, error = find(kind, org, name, rev)
        if error:
            return error
        _, commit = found
        files = []
        for item in (await request.json())["files"]:
            sample = base64.b64decode(item["sample"])
            lfs = item["path"].lower().endswith(LFS_SUFFIXES) or item["size"] >= LFS_MIN_SIZE or b"\0" in sample
            existing = commit.files.get(item["path"])
            # the client skips a file whose remote oid equals its local one (sha256 for LFS, git sha1 otherwise)
            oid = (existing.sha256 if existing.lfs else existing.git_oid) if existing and existing.lfs == lfs else None
            files.append({"path": item["path"], "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False,
                          "oid": oid})
        return {"files": files, "commitOid": commit.oid}

    async def lfs_batch(kind: str, org: str, name: str, request: Request):
        found, error = find(kind, org, name)
        if error:
            return error
        body = await request.json()
        if body.get("operation") != "upload":
            return JSONResponse({"message": "only uploads are served by the batch API here"}, status_code=422)
        objects = []
        for obj in body["objects"]:
            entry = {"oid": obj["oid"], "size": obj["size"]}
            if not store.object_path(obj["oid"]).exists():  # no "actions": the client skips known objects
                entry["actions"] = {"upload": {"href": f"{base_url(request)}/lfs-objects/{obj['oid']}"}}
            objects.append(entry)
        return JSONResponse({"transfer": "basic", "objects": objects}, media_type="application/vnd.git-lfs+json")

    for prefix, kind in URL_KINDS:
        app.add_api_route(f"{prefix}/{{org}}/{{name}}.git/info/lfs/objects/batch", _bind_kind(lfs_batch, kind),
                          methods=["POST"])

    @app.put("/lfs-objects/{oid}")
    async def lfs_upload(oid: str, request: Request):
        data = await request.body()
        if hashlib.sha256(data).hexdigest() != oid:
            return JSONResponse({"message": f"content does not match oid {oid}"}, status_code=400)
        store.put_object(data)
        return Response(status_code=200)

    @app.post("/api/{kind}/{org}/{name}/commit/{rev}")
    async def commit(kind: str, org: str, name: str, rev: str, request: Request):
        found, error = find(kind, org, name, rev)
        if error:
            return error
        repo, parent = found
        lines = [json.loads(line) for line in (await request.body()).splitlines() if line.strip()]
        header = next(line["value"] for line in lines if line["key"] == "header")
        if header.get("parentCommit") and header["parentCommit"] != parent.oid:
            return JSONResponse({"error": "parent commit is not the head of the branch"}, status_code=412)
        files = dict(parent.files)
        for line in lines:
            key, value = line["key"], line["value"]
            if key == "file":
                data = base64.b64decode(value["content"])
                files[value["path"]] = FileEntry.regular(data, store.put_object(data))
            elif key == "lfsFile":
                if not store.object_path(value["oid"]).exists():
                    return JSONResponse({"error": f"LFS object {value['oid']} of {value['path']} was never uploaded"},
                                        status_code=422)
                files[value["path"]] = FileEntry.large(store.object_path(value["oid"]).stat().st_size, value["oid"])
            elif key == "deletedFile":
                files.pop(value["path"], None)
            elif key == "deletedFolder":
                files = {p: e for p, e in files.items() if not p.startswith(value["path"].rstrip("/") + "/")}
            elif key != "header":
                return JSONResponse({"error": f"unknown commit operation {key!r}"}, status_code=400)
        tree = json.dumps({p: (e.sha256, e.lfs) for p, e in sorted(files.items())})
        oid = hashlib.sha1(f"{parent.oid}\n{header['summary']}\n{tree}\n{time.time_ns()}".encode()).hexdigest()
        with store.lock:
            repo.commits.append(Commit(oid, header["summary"], _now(), files))
        return {"success": True, "commitOid": oid, "commitUrl": f"{base_url(request)}/{repo.url_path}/commit/{oid}",
                "hookOutput": ""}

    # ---------------------------------------------------------------- read side

    @app.get("/api/agent-harnesses")
    async def agent_harnesses():
        # huggingface_hub's user-agent telemetry fetches this registry; an empty one detects no agent
        return {"standardEnvVars": [], "harnesses": {}}

    @app.get("/api/{kind}/{org}/{name}")
    @app.get("/api/{kind}/{org}/{name}/revision/{rev}")
    async def repo_info(kind: str, org: str, name: str, rev: str = "main"):
        found, error = find(kind, org, name, rev)
        if error:
            return error
        repo, commit = found
        created = repo.commits[0].date
        info = {"id": repo.repo_id, "author": org, "sha": commit.oid, "private": False, "gated": False,
                "disabled": False, "downloads": 0, "likes": 0, "tags": [], "createdAt": created,
                "lastModified": commit.date, "siblings": [{"rfilename": p} for p in sorted(commit.files)]}
        if repo.repo_type == "space":
            info.update(sdk=repo.sdk, runtime={"stage": "NO_APP_FILE"})
        return info

    @app.get("/api/{kind}/{org}/{name}/tree/{rev}")
    @app.get("/api/{kind}/{org}/{name}/tree/{rev}/{path:path}")
    async def tree(kind: str, org: str, name: str, rev: str, path: str = "", recursive: bool = False,
                   expand: bool = False):
        found, error = find(kind, org, name, rev)
        if error:
            return error
        _, commit = found
        path = path.strip("/")
        dirs = directories(commit)
        if path and path not in dirs:
            return _hub_error(404, "EntryNotFound", f"{path} is not a folder of {org}/{name}@{rev}")
        prefix = f"{path}/" if path else ""
        below = sorted(p for p in (*commit.files, *dirs) if p.startswith(prefix) and p != path)
        if not recursive:
            below = [p for p in below if "/" not in p[len(prefix):]]
        return [path_info(commit, p, expand) for p in below]

    @app.post("/api/{kind}/{org}/{name}/paths-info/{rev}")
    async def paths_info(kind: str, org: str, name: str, rev: str, request: Request):
        found, error = find(kind, org, name, rev)
        if error:
            return error
        _, commit = found
        form = await request.form()  # huggingface_hub posts form fields: paths (repeated) and expand
        expand = form.get("expand", "False").lower() == "true"
        known = set(commit.files) | directories(commit)
        return [path_info(commit, p.strip("/"), expand) for p in form.getlist("paths") if p.strip("/") in known]

    async def resolve(kind: str, org: str, name: str, rev: str, path: str, request: Request):
        found, error = find(kind, org, name, rev)
        if error:
            return error
        _, commit = found
        entry = commit.files.get(path)
        if entry is None:
            return _hub_error(404, "EntryNotFound", f"{path} does not exist in {org}/{name}@{rev}")
        # what hf_hub_download reads from the HEAD: the commit, an ETag (sha256 for LFS, whose "linked"
        # headers describe the real content rather than the pointer) and the size
        headers = {"X-Repo-Commit": commit.oid, "ETag": f'"{entry.sha256 if entry.lfs else entry.git_oid}"'}
        if entry.lfs:
            headers.update({"X-Linked-Etag": f'"{entry.sha256}"', "X-Linked-Size": str(entry.size)})
        # FileResponse answers HEAD without a body and honours Range requests (HfFileSystem reads ranges)
        return FileResponse(store.object_path(entry.sha256), headers=headers, media_type="application/octet-stream")

    for prefix, kind in URL_KINDS:
        app.add_api_route(f"{prefix}/{{org}}/{{name}}/resolve/{{rev}}/{{path:path}}", _bind_kind(resolve, kind),
                          methods=["GET", "HEAD"])

    # ---------------------------------------------------------------- everything else fails loudly

    @app.api_route("/{path:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    async def not_implemented(path: str, request: Request):
        call = f"{request.method} /{path}" + (f"?{request.url.query}" if request.url.query else "")
        unimplemented.append(call)
        return JSONResponse({"error": f"test Hub server does not implement {call}"}, status_code=501)

    return app


class HubServer:
    """Runs the app with uvicorn in a background thread on a free 127.0.0.1 port.

    >>> with HubServer(tmp_path) as hub:
    ...     env = {"HF_ENDPOINT": hub.url, ...}
    ...     assert not hub.unimplemented
    """

    def __init__(self, root: str | Path):
        import uvicorn

        self.store = HubStore(Path(root))
        self.unimplemented: list[str] = []
        self.calls: list[str] = []  # "METHOD /path" of every request, in order
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(self.store, self.unimplemented, self.calls), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def start(self) -> "HubServer":
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test Hub server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> "HubServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
