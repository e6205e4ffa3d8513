"""Every table, imported once so that SQLModel.metadata (and Alembic) knows them all."""

from app.applications.models import Application, EligibilityCheck, IdempotencyRecord
from app.audit.models import AuditEvent
from app.districts.models import District
from app.documents.models import Document
from app.enterprises.models import Enterprise
from app.evaluation.models import EvaluationSnapshot, IndicatorAssessment
from app.followups.models import FollowUp
from app.funds.models import Appropriation, Payment
from app.notices.models import Notice, NoticeEntry, Objection, WorkdayOverride
from app.programs.models import AwardTranche, Indicator, PolicyDocument, Program, ProgramDistrict
from app.reviews.models import ReviewDecision
from app.roster.models import RosterEntry
from app.surveys.models import SurveyInvitation, SurveyResponse
from app.users.models import ApiToken, RateLimitBucket, User, WebSession

__all__ = [
    "Application", "EligibilityCheck", "IdempotencyRecord", "AuditEvent", "District", "Document",
    "Enterprise", "EvaluationSnapshot", "IndicatorAssessment", "FollowUp", "Appropriation", "Payment",
    "Notice", "NoticeEntry", "Objection", "WorkdayOverride", "AwardTranche", "Indicator",
    "PolicyDocument", "Program", "ProgramDistrict", "ReviewDecision", "RosterEntry",
    "SurveyInvitation", "SurveyResponse", "ApiToken", "RateLimitBucket", "User", "WebSession",
]
