"""Who sees what. Aggregate figures (disclosure-controlled) are for every dashboard user;
patient-level detail only for the user's own providers (and, for a practice lead, only their
practice's patients there). Enforced in the queryset layer: ``Viewer.episodes()``."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from surveys.models import Episode, Practice, Provider

from .models import DashboardRole


@dataclass(frozen=True)
class Viewer:
    user: object
    role: str
    practice: Practice | None = None

    @property
    def role_label(self) -> str:
        return DashboardRole.Role(self.role).label

    def providers(self) -> QuerySet[Provider]:
        """Providers whose patients this user may see one by one."""
        if self.role == DashboardRole.Role.ANALYST and not self.user.is_superuser:
            return Provider.objects.none()
        return Provider.objects.for_user(self.user)

    def can_drill(self) -> bool:
        return self.providers().exists()

    def episodes(self) -> QuerySet[Episode]:
        """The episodes whose patient-level detail this user may see."""
        episodes = Episode.objects.filter(provider__in=self.providers())
        if self.role == DashboardRole.Role.PRACTICE_LEAD:
            episodes = episodes.filter(patient__practice=self.practice)
        return episodes


def viewer_for(user) -> Viewer | None:
    """The user's dashboard view, or None if they may not use the dashboard."""
    if not user.is_authenticated or not user.is_active:
        return None
    role = DashboardRole.objects.filter(user=user).select_related("practice").first()
    if role is not None:
        return Viewer(user, role.role, role.practice)
    if user.is_superuser:
        return Viewer(user, DashboardRole.Role.ANALYST)
    if Provider.objects.for_user(user).exists():
        return Viewer(user, DashboardRole.Role.PROVIDER)
    return None
