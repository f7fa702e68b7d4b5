"""The domain: models and the operations on them. Handlers, APIs and jobs call these."""
from models.apikey import ApiKey
from models.audit import Actor, AuditEvent
from models.db import SchemaMigration
from models.mail import OutboxMessage
from models.organisation import Organisation
from models.petition import Petition
from models.response import Response, ResponsePetition
from models.signature import Signature
from models.user import Membership, User

__all__ = ["Actor", "ApiKey", "AuditEvent", "Membership", "Organisation", "OutboxMessage", "Petition",
           "Response", "ResponsePetition", "SchemaMigration", "Signature", "User"]
