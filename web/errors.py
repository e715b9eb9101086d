"""One set of error handlers: domain errors and HTTP errors, in the page's language, with their status.

``NotFound`` 404, ``NotAllowed`` 403, ``InvalidInput`` 422, ``Conflict`` 409 (``credit.kernel.errors``);
any HTTP error keeps its own status. Pages get the error page, the API gets JSON.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from credit.kernel.errors import Conflict, InvalidInput, LianzhengError, NotAllowed, NotFound
from web.i18n import both, pick

log = logging.getLogger(__name__)

STATUS = {NotFound: 404, NotAllowed: 403, InvalidInput: 422, Conflict: 409}
TITLES = {
    400: ("请求有误", "Bad request"), 401: ("需要登录", "Sign-in needed"), 403: ("无权访问", "Not allowed"),
    404: ("未找到", "Not found"), 405: ("不支持的请求方式", "Method not allowed"), 409: ("当前状态不允许此操作", "Conflict"),
    413: ("文件过大", "File too large"), 422: ("输入有误", "Check what you entered"),
    429: ("请求过于频繁", "Too many requests"), 500: ("系统出错", "Something went wrong"),
}
HINTS = {
    403: ("您的账户没有权限查看此页面。", "Your account may not see this page."),
    404: ("请检查地址，或从首页重新查询。", "Check the address, or search again from the start page."),
    429: ("请稍候一分钟再试。", "Wait a minute and try again."),
    401: ("请先登录。", "Sign in first."),
}


def status_of(exc: LianzhengError) -> int:
    for cls, status in STATUS.items():
        if isinstance(exc, cls):
            return status
    return 500


def _answer(status: int, message: str, errors: Any = None) -> Any:
    title = both(*TITLES.get(status, (str(status), str(status))))
    if request.path.startswith("/api/"):
        body = {"code": status, "status": TITLES.get(status, ("", str(status)))[1], "message": message or title}
        if errors:
            body["errors"] = errors
        response = jsonify(body)
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="lianzheng"'
        return response
    hint = both(*HINTS[status]) if status in HINTS else ""
    return render_template("errors.html", status=status, title=title, message=message, hint=hint), status


def register_errorhandlers(app: Flask) -> None:
    """Domain errors and HTTP errors, answered once for the whole app."""

    @app.errorhandler(LianzhengError)
    def domain_error(exc: LianzhengError) -> Any:
        status = status_of(exc)
        if status >= 500:  # a fault of the platform (keys missing, a database down): its detail is for the log
            log.error("%s on %s: %s", type(exc).__name__, request.path, exc)
            return _answer(status, both("请稍后再试。", "Try again later."))
        return _answer(status, pick(str(exc)))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        message, errors = "", None
        data = getattr(exc, "data", None)
        if isinstance(data, dict) and data.get("messages"):
            errors = data["messages"]
            message = both("请检查输入的参数。", "Check the parameters.")
        elif status == 400 and "CSRF" in (exc.description or ""):
            message = both("表单已过期或来源不明，请返回重新提交。",
                           "The form expired or did not come from this site; go back and send it again.")
        return _answer(status, message, errors)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("unexpected error on %s", request.path)
        return _answer(500, both("请稍后再试。", "Try again later."))
