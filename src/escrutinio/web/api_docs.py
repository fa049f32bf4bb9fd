"""The API's documentation at /api/docs, rendered here from the OpenAPI document: no script or style sheet
from elsewhere (the usual Swagger UI comes from a CDN and would leak readers' addresses, and shows nothing
offline). The machine-readable document stays at /api/v1/openapi.json."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")


def operations(schema: dict) -> list[dict]:
    """Every operation of the document, by path then method, with what a reader needs to call it."""
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            found.append({
                "method": method.upper(), "path": path, "id": f"{method}-{path}".replace("/", "-").strip("-"),
                "summary": op.get("summary") or "", "description": op.get("description") or "",
                "parameters": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                                "description": p.get("description") or p.get("schema", {}).get("description", "")}
                               for p in op.get("parameters", [])],
                "responses": [(code, r.get("description", "")) for code, r in op.get("responses", {}).items()],
            })
    return found


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request):
    schema = request.app.openapi()
    return request.app.state.pages.render(request, "api_docs.html", info=schema.get("info", {}),
                                          operations=operations(schema), json_twin="/api/v1/openapi.json")
