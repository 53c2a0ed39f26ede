"""Who is signed in to the staff console, and what their role may do (Gradio handlers).

Each handler checks the role itself, so a tab that is visible is still refused to a role that may not
use it.
"""

import gradio as gr

from ..staff.accounts import StaffDirectory, StaffUser

ROLE_LABELS = {"expert": "服务专家", "knowledge_manager": "知识管理员", "supervisor": "服务主管", "compliance": "合规专员",
               "admin": "管理员"}


class StaffAccess:
    def __init__(self, directory: StaffDirectory):
        self.directory = directory

    def user(self, request: gr.Request) -> StaffUser | None:
        return self.directory.get(getattr(request, "username", None))

    def can(self, request: gr.Request, permission: str) -> bool:
        user = self.user(request)
        return user is not None and user.can(permission)

    def require(self, request: gr.Request, permission: str) -> StaffUser:
        """The signed-in user; a friendly error when the role may not do this."""
        user = self.user(request)
        if user is None or not user.can(permission):
            raise gr.Error("您的角色无权使用此功能。")
        return user

    def whoami(self, request: gr.Request) -> str:
        user = self.user(request)
        return f"当前用户：{user.name}（{ROLE_LABELS.get(user.role, user.role)}）" if user else "未登录"
