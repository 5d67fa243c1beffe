import datetime

from ninja import Field, Schema

from investdesk.core.schemas import Id


class IndustryOut(Schema):
    id: int
    name: str


class EnterpriseOut(Schema):
    id: int
    name: str
    name_en: str
    uscc: str | None
    city: str
    address: str
    industry_id: int | None
    ownership: str
    investor_country: str
    is_key: bool
    is_city_support: bool
    is_fortune500: bool
    is_listed: bool
    employees: int | None
    status: str
    owner_unit_id: int
    liaison_id: int | None
    last_visit_on: datetime.date | None
    version: int


class EnterpriseIn(Schema):
    """Create: only `name` is required. Field names are the model's English names."""

    name: str = Field(..., min_length=1, max_length=120, description="Chinese name (企业名称)")
    name_en: str = Field("", max_length=200)
    uscc: str | None = Field(None, description="统一社会信用代码, 18 characters, GB 32100-2015 check digit")
    city: str = Field("", description="City/prefecture code, e.g. chengdu (see /api/v1/enterprises/cities)")
    address: str = Field("", max_length=200)
    industry_id: int | None = None
    ownership: str = Field("private", description="private, state, foreign or hmt")
    investor_country: str = ""
    is_key: bool = False
    is_city_support: bool = False
    is_fortune500: bool = False
    is_listed: bool = False
    employees: int | None = Field(None, ge=0)
    status: str = Field("operating", description="operating, suspended, closed or prospective")
    liaison_id: int | None = None
    note: str = ""


class EnterprisePatch(Schema):
    """Update: send only the fields to change, with the `version` you read."""

    version: int
    name: str | None = Field(None, min_length=1, max_length=120)
    name_en: str | None = None
    uscc: str | None = None
    city: str | None = None
    address: str | None = None
    industry_id: int | None = None
    ownership: str | None = None
    investor_country: str | None = None
    is_key: bool | None = None
    is_city_support: bool | None = None
    is_fortune500: bool | None = None
    is_listed: bool | None = None
    employees: int | None = Field(None, ge=0)
    status: str | None = None
    liaison_id: int | None = None
    note: str | None = None


class ContactOut(Schema):
    id: int
    name: str
    title: str
    mobile: str = Field(..., alias="masked_mobile")
    phone: str = Field(..., alias="masked_phone")
    email: str = Field(..., alias="masked_email")
    preferred_channel: str
    is_primary: bool


class ContactIn(Schema):
    name: str = Field(..., min_length=1, max_length=60)
    title: str = ""
    mobile: str = ""
    phone: str = ""
    email: str = ""
    wechat: str = ""
    preferred_channel: str = "phone"
    is_primary: bool = False


class VisitOut(Schema):
    id: int
    enterprise_id: int
    visited_on: datetime.date
    mode: str
    status: str
    action_id: int | None
    summary: str
    staff_ids: list[int]
    problems: list[str]


class VisitIn(Schema):
    enterprise_id: int
    visited_on: datetime.date
    mode: str = "on_site"
    staff_ids: list[Id] = Field(default_factory=list, description="Defaults to the caller")
    contact_ids: list[Id] = Field(default_factory=list)
    action_id: int | None = None
    summary: str = ""
    answers: dict[int, str] = Field(default_factory=dict, description="question id → answer")
    problems: list[str] = Field(default_factory=list)
    status: str = "completed"


class ServiceActionOut(Schema):
    id: int
    name: str
    starts_on: datetime.date
    ends_on: datetime.date
    owner_unit_id: int
    target_count: int = 0


class ActionProgressOut(Schema):
    targets: int
    visited: int
    not_visited: int
    visits: int
    problems: int
    enterprises_with_problems: int
