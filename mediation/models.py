"""Mediation and legal services: the mediator registry (staff, industry committees, the
expert pool, partner lawyers), mediation sessions in the hall's rooms, joint mediation,
the documents that close a mediation (人民调解协议书 / 告知书), judicial confirmation,
court referrals (诉前调解) and the legal-services window.

Due work (performance terms, judicial-confirmation windows, court-referral windows,
legal-aid decisions) is stored as rows with an indexed due time; the background sweep
selects them through ``mediation.selectors``. Nothing here schedules broker ETAs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models import Case, Party
from luodian_platform.crypto import EncryptedCharField, EncryptedTextField
from luodian_platform.models import Category, Department, Township, Window


class Mediator(models.Model):
    class Kind(models.TextChoices):
        STAFF = "staff", _("专职调解员")
        COMMITTEE = "committee", _("行业调委会委员")
        EXPERT = "expert", _("调解专家")
        LAWYER = "lawyer", _("律师")

    name = models.CharField(_("姓名"), max_length=30)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("平台账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mediator_profile",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属单位(调委会/律所)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediators",
    )
    categories = models.ManyToManyField(
        Category, verbose_name=_("擅长纠纷类别"), blank=True, related_name="mediators"
    )
    specialities = models.CharField(_("专长"), max_length=200, blank=True)
    township = models.ForeignKey(
        Township, verbose_name=_("所在乡镇"), null=True, blank=True, on_delete=models.PROTECT
    )
    # Personal data encrypted at rest, as the parties' (see intake.models.Party).
    phone = EncryptedCharField(_("联系电话"), max_length=20, blank=True, null=True)
    id_number = EncryptedCharField(_("身份证号码"), max_length=18, blank=True, null=True)
    is_available = models.BooleanField(_("可接受指派"), default=True)
    availability_note = models.CharField(_("可约时间"), max_length=100, blank=True)
    is_active = models.BooleanField(_("在册"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("调解员")
        verbose_name_plural = _("调解员")
        constraints = [
            models.UniqueConstraint(fields=["name", "kind"], name="mediator_unique_name_kind")
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.get_kind_display()})"


class MediatorRelation(models.Model):
    """A relation a mediator declared (亲属、雇主…) so the 回避 check can match parties."""

    class Kind(models.TextChoices):
        RELATIVE = "relative", _("近亲属")
        EMPLOYER = "employer", _("雇主/任职单位")
        OTHER = "other", _("其他利害关系")

    mediator = models.ForeignKey(
        Mediator, related_name="relations", on_delete=models.CASCADE, verbose_name=_("调解员")
    )
    kind = models.CharField(_("关系"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("姓名/名称"), max_length=100)
    id_number = EncryptedCharField(_("身份证号码/信用代码"), max_length=18, blank=True, null=True)

    class Meta:
        verbose_name = _("调解员申报关系")
        verbose_name_plural = _("调解员申报关系")
        indexes = [models.Index(fields=["name"], name="medrel_name_idx")]

    def __str__(self) -> str:
        return f"{self.mediator.name}: {self.get_kind_display()} {self.name}"


class ConflictDeclaration(models.Model):
    """A mediator's own declaration of a conflict of interest on one case (自行回避)."""

    mediator = models.ForeignKey(
        Mediator, related_name="conflicts", on_delete=models.CASCADE, verbose_name=_("调解员")
    )
    case = models.ForeignKey(
        Case, related_name="mediator_conflicts", on_delete=models.CASCADE, verbose_name=_("案件")
    )
    reason = models.CharField(_("回避理由"), max_length=200)
    declared_at = models.DateTimeField(default=timezone.now, verbose_name=_("申报时间"))

    class Meta:
        verbose_name = _("回避申报")
        verbose_name_plural = _("回避申报")
        constraints = [
            models.UniqueConstraint(fields=["mediator", "case"], name="conflict_unique_case")
        ]

    def __str__(self) -> str:
        return f"{self.mediator_id}@{self.case_id}: {self.reason}"


class MediatorAssignment(models.Model):
    """A mediator assigned to a case; a conflict override is recorded with who and why."""

    case = models.ForeignKey(
        Case, related_name="mediator_assignments", on_delete=models.CASCADE, verbose_name=_("案件")
    )
    mediator = models.ForeignKey(
        Mediator, related_name="assignments", on_delete=models.PROTECT, verbose_name=_("调解员")
    )
    is_lead = models.BooleanField(_("主持调解"), default=False)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("指派人"),
    )
    assigned_at = models.DateTimeField(default=timezone.now, verbose_name=_("指派时间"))
    conflict = models.CharField(_("回避事由"), max_length=200, blank=True)
    override_reason = models.CharField(_("不予回避理由"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("调解员指派")
        verbose_name_plural = _("调解员指派")
        ordering = ["-is_lead", "assigned_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "mediator"], name="assignment_unique_case")
        ]

    def __str__(self) -> str:
        return f"{self.mediator_id}@{self.case_id}"


class JointMediation(models.Model):
    """联合调解 of a prominent dispute: a lead department organises, others take part."""

    case = models.OneToOneField(
        Case, related_name="joint_mediation", on_delete=models.CASCADE, verbose_name=_("案件")
    )
    lead_department = models.ForeignKey(
        Department, verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="+"
    )
    departments = models.ManyToManyField(
        Department, verbose_name=_("参与部门"), related_name="joint_mediations", blank=True
    )
    experts = models.ManyToManyField(
        Mediator, verbose_name=_("参与专家"), related_name="joint_mediations", blank=True
    )
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("组织人"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("组织时间"))

    class Meta:
        verbose_name = _("联合调解")
        verbose_name_plural = _("联合调解")

    def __str__(self) -> str:
        return f"joint {self.case_id}"


class MediationSession(models.Model):
    class Result(models.TextChoices):
        PLANNED = "planned", _("待调解")
        AGREED = "agreed", _("达成协议")
        PARTIAL = "partial", _("部分达成")
        ADJOURNED = "adjourned", _("择期再调")
        FAILED = "failed", _("调解不成")

    case = models.ForeignKey(
        Case, related_name="mediation_sessions", on_delete=models.CASCADE, verbose_name=_("案件")
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    room = models.ForeignKey(
        Window,
        verbose_name=_("调解室"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediation_sessions",
        limit_choices_to={"is_room": True},
    )
    on_site_place = models.CharField(_("现场调解地点"), max_length=200, blank=True)
    mediators = models.ManyToManyField(Mediator, verbose_name=_("调解员"), related_name="sessions")
    parties_attended = models.ManyToManyField(
        Party, verbose_name=_("到场当事人"), blank=True, related_name="+"
    )
    record = models.TextField(_("调解笔录"), blank=True)
    result = models.CharField(
        _("调解结果"), max_length=10, choices=Result.choices, default=Result.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("预约人"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("预约时间"))

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("调解会")
        verbose_name_plural = _("调解会")
        indexes = [models.Index(fields=["room", "starts_at"], name="session_room_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(room__isnull=False) | ~Q(on_site_place=""),
                name="session_room_or_site",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.number} {self.starts_at:%Y-%m-%d %H:%M}"


class DocumentCounter(models.Model):
    """Gap-free document numbers per kind and year; the row is locked while numbering."""

    kind = models.CharField(max_length=12, verbose_name=_("文书种类"))
    year = models.PositiveSmallIntegerField(verbose_name=_("年度"))
    last = models.PositiveIntegerField(default=0, verbose_name=_("已用最大号"))

    class Meta:
        verbose_name = _("文书编号计数")
        verbose_name_plural = _("文书编号计数")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="doccounter_unique_kind_year")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


class Agreement(models.Model):
    """人民调解协议书 (《人民调解法》 arts. 28–29). Effective when every party has signed,
    sealed or thumbprinted, the mediator has signed and the committee has sealed."""

    case = models.ForeignKey(
        Case, related_name="agreements", on_delete=models.PROTECT, verbose_name=_("案件")
    )
    # The official number is given when the agreement takes effect (is issued), never to a
    # draft: the year's numbers have no gaps (services.common._next_number).
    number = models.CharField(_("文书编号"), max_length=40, unique=True, null=True, blank=True)
    committee = models.ForeignKey(
        Department, verbose_name=_("人民调解委员会"), on_delete=models.PROTECT, related_name="+"
    )
    mediator = models.ForeignKey(
        Mediator, verbose_name=_("调解员"), on_delete=models.PROTECT, related_name="agreements"
    )
    facts = models.TextField(_("纠纷的主要事实"), max_length=10000)
    issues = models.TextField(_("争议事项"), max_length=5000)
    liabilities = models.TextField(_("各方当事人的责任"), max_length=5000)
    mediator_signed = models.BooleanField(_("调解员已签名"), default=False)
    committee_sealed = models.BooleanField(_("调委会已盖章"), default=False)
    mediator_signed_at = models.DateTimeField(_("调解员签名时间"), null=True, blank=True)
    committee_sealed_at = models.DateTimeField(_("调委会盖章时间"), null=True, blank=True)
    effective_at = models.DateTimeField(_("生效时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("制作人"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("制作时间"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("人民调解协议书")
        verbose_name_plural = _("人民调解协议书")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.number or str(_("草稿(未编号)"))

    @property
    def is_effective(self) -> bool:
        return self.effective_at is not None


class Signature(models.Model):
    """A signature drawn on the tablet in the mediation room (a PNG), for a party, the
    mediator or the committee (art. 29). The image is personal data: stored encrypted
    (base64 of the PNG) and purged with the case's particulars."""

    class Signer(models.TextChoices):
        PARTY = "party", _("当事人")
        MEDIATOR = "mediator", _("人民调解员")
        COMMITTEE = "committee", _("人民调解委员会")

    agreement = models.ForeignKey(
        Agreement, related_name="signatures", on_delete=models.CASCADE, verbose_name=_("协议书")
    )
    signer = models.CharField(_("签署人类型"), max_length=10, choices=Signer.choices)
    agreement_party = models.ForeignKey(
        "AgreementParty",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="signatures",
        verbose_name=_("协议当事人"),
    )
    png = EncryptedTextField(_("签名图像"), null=True, blank=True)
    sha256 = models.CharField(_("图像SHA-256"), max_length=64)
    signed_at = models.DateTimeField(_("签署时间"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )

    class Meta:
        verbose_name = _("手写签名")
        verbose_name_plural = _("手写签名")
        ordering = ["id"]
        constraints = [
            # One signature per party, one for the mediator, one for the committee.
            models.UniqueConstraint(
                fields=["agreement", "agreement_party"],
                condition=Q(signer="party"),
                name="signature_unique_party",
            ),
            models.UniqueConstraint(
                fields=["agreement", "signer"],
                condition=~Q(signer="party"),
                name="signature_unique_official",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} {self.signer}"

    @property
    def png_bytes(self) -> bytes:
        import base64

        return base64.b64decode(self.png) if self.png else b""


class IssuedDocument(models.Model):
    """The PDF of a document as issued (an agreement when it takes effect, a notice when
    it is given): stored once and served as stored, so every later download is the same
    bytes; its SHA-256 is shown on the document page. The PDF carries the parties' ID
    numbers and phones: stored encrypted (base64), purged with the case's particulars
    (the hash stays as the record of what was issued)."""

    case = models.ForeignKey(
        Case, related_name="issued_documents", on_delete=models.PROTECT, verbose_name=_("案件")
    )
    kind = models.CharField(_("文书种类"), max_length=20)
    object_id = models.PositiveIntegerField(_("文书ID"))
    number = models.CharField(_("文书编号"), max_length=40)
    pdf = EncryptedTextField(_("PDF文件"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256校验值"), max_length=64)
    size = models.PositiveIntegerField(_("字节数"))
    issued_at = models.DateTimeField(_("出具时间"), default=timezone.now)

    class Meta:
        verbose_name = _("已出具文书")
        verbose_name_plural = _("已出具文书")
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="issued_unique_document")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.sha256[:12]}"

    @property
    def pdf_bytes(self) -> bytes:
        import base64

        return base64.b64decode(self.pdf) if self.pdf else b""


class NoticeRoute(models.Model):
    """A lawful route a notice (告知书) may point to, per case category (empty: every
    category), with the institution, its address and the time limit with its article.
    Shipped as editable defaults (migration 0006); the officer edits them per case before
    the notice is issued."""

    class Route(models.TextChoices):
        LABOUR_ARBITRATION = "labour_arbitration", _("劳动人事争议仲裁")
        LABOUR_INSPECTION = "labour_inspection", _("劳动保障监察投诉")
        PAYMENT_ORDER = "payment_order", _("申请支付令")
        LITIGATION = "litigation", _("向人民法院提起诉讼")
        RECONSIDERATION = "reconsideration", _("行政复议")
        PETITION = "petition", _("信访")
        LEGAL_AID = "legal_aid", _("申请法律援助")

    category_code = models.CharField(_("案件类别代码"), max_length=32, blank=True)
    route = models.CharField(_("途径"), max_length=24, choices=Route.choices)
    institution = models.CharField(_("受理机构"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    time_limit = models.CharField(_("时效或期限(含法律依据)"), max_length=300)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("告知途径")
        verbose_name_plural = _("告知途径")
        ordering = ["category_code", "order", "id"]

    def __str__(self) -> str:
        return f"{self.category_code or '*'} {self.get_route_display()}"


class AgreementParty(models.Model):
    """The parties' basic facts as written on the agreement, and each one's signature."""

    class SignMethod(models.TextChoices):
        SIGNATURE = "signature", _("签名")
        SEAL = "seal", _("盖章")
        THUMBPRINT = "thumbprint", _("按指印")

    agreement = models.ForeignKey(
        Agreement, related_name="parties", on_delete=models.CASCADE, verbose_name=_("协议书")
    )
    party = models.ForeignKey(
        Party, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("当事人")
    )
    role = models.CharField(_("身份"), max_length=12, choices=Party.PartyRole.choices)
    name = models.CharField(_("姓名/名称"), max_length=100)
    id_number = EncryptedCharField(_("身份证号码/信用代码"), max_length=18, blank=True, null=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    phone = EncryptedCharField(_("联系电话"), max_length=20, blank=True, null=True)
    sign_method = models.CharField(
        _("签署方式"), max_length=12, choices=SignMethod.choices, blank=True
    )
    signed_at = models.DateTimeField(_("签署时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("协议当事人")
        verbose_name_plural = _("协议当事人")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def signed(self) -> bool:
        return self.signed_at is not None

    @property
    def masked_id(self) -> str:
        from luodian_platform.validators import mask_id_number

        return mask_id_number(self.id_number) if self.id_number else ""

    @property
    def masked_phone(self) -> str:
        from luodian_platform.validators import mask_phone

        return mask_phone(self.phone) if self.phone else ""


class AgreementTerm(models.Model):
    """One agreed term with how and by when it is performed (art. 28)."""

    agreement = models.ForeignKey(
        Agreement, related_name="terms", on_delete=models.CASCADE, verbose_name=_("协议书")
    )
    seq = models.PositiveSmallIntegerField(verbose_name=_("序号"))
    content = models.TextField(_("协议内容"), max_length=2000)
    performance_method = models.CharField(_("履行方式"), max_length=200)
    # The follow-up sweep reminds on open terms by due time: an indexed column.
    due_at = models.DateTimeField(_("履行期限"), db_index=True)
    performed_at = models.DateTimeField(_("履行完毕时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("提醒时间"))

    class Meta:
        verbose_name = _("协议条款")
        verbose_name_plural = _("协议条款")
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["agreement", "seq"], name="term_unique_seq")]

    def __str__(self) -> str:
        return f"{self.seq}. {self.content[:30]}"


class Notice(models.Model):
    """告知书: mediation failed; the parties are told which lawful channels remain."""

    case = models.ForeignKey(
        Case, related_name="mediation_notices", on_delete=models.PROTECT, verbose_name=_("案件")
    )
    number = models.CharField(_("文书编号"), max_length=40, unique=True)
    reason = models.TextField(_("调解不成的原因"), max_length=3000)
    # [{"channel": "labour_arbitration", "institution": "...", "time_limit": "..."}]
    channels = models.JSONField(_("可选救济途径"), default=list)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("出具人"),
    )
    issued_at = models.DateTimeField(default=timezone.now, verbose_name=_("出具时间"))

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("告知书")
        verbose_name_plural = _("告知书")

    def __str__(self) -> str:
        return self.number


class JudicialConfirmation(models.Model):
    """司法确认 (《人民调解法》 art. 33; 法释〔2011〕5号): joint application within 30 days of the
    agreement taking effect; the court accepts within 3 days and decides within 15 (+10)."""

    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", _("确认有效")
        REFUSED = "refused", _("不予确认")
        NOT_ACCEPTED = "not_accepted", _("不予受理")

    agreement = models.OneToOneField(
        Agreement,
        related_name="judicial_confirmation",
        on_delete=models.CASCADE,
        verbose_name=_("协议书"),
    )
    window_ends_at = models.DateTimeField(_("申请期限"), db_index=True)
    # When to remind the parties that the window is closing; swept by the background job.
    remind_at = models.DateTimeField(_("提醒时间"), db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("提醒时间"))
    applied_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    court_reference = models.CharField(_("法院案号"), max_length=60, blank=True)
    accept_due_at = models.DateTimeField(_("受理期限"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    decide_due_at = models.DateTimeField(_("确认期限"), null=True, blank=True, db_index=True)
    extended = models.BooleanField(_("已延长"), default=False)
    decision = models.CharField(_("法院决定"), max_length=14, choices=Decision.choices, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("司法确认")
        verbose_name_plural = _("司法确认")

    def __str__(self) -> str:
        return f"JC {self.agreement_id}"


class CourtReferral(models.Model):
    """诉前委派调解: the court's litigation service centre refers a filing to the platform."""

    class Result(models.TextChoices):
        AGREED = "agreed", _("调解成功")
        FAILED = "failed", _("调解不成,退回法院")
        WITHDRAWN = "withdrawn", _("当事人撤回")

    case = models.OneToOneField(
        Case, related_name="court_referral", on_delete=models.CASCADE, verbose_name=_("案件")
    )
    court = models.ForeignKey(
        Department, verbose_name=_("委派法院"), on_delete=models.PROTECT, related_name="+"
    )
    court_reference = models.CharField(_("法院委派编号"), max_length=60)
    referred_at = models.DateTimeField(_("委派时间"))
    due_at = models.DateTimeField(_("调解期限"), db_index=True)
    extended_days = models.PositiveSmallIntegerField(_("延长天数"), default=0)
    extension_basis = models.CharField(_("延长依据(当事人同意)"), max_length=300, blank=True)
    result = models.CharField(_("调解结果"), max_length=10, choices=Result.choices, blank=True)
    result_note = models.TextField(_("结果说明"), blank=True)
    reported_at = models.DateTimeField(_("反馈法院时间"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("报告人"),
    )

    class Meta:
        verbose_name = _("诉前委派调解")
        verbose_name_plural = _("诉前委派调解")

    def __str__(self) -> str:
        return self.court_reference


class LegalService(models.Model):
    """法律服务窗口: consultation, legal-aid application, counselling — on a case or on the spot."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", _("法律咨询")
        LEGAL_AID = "legal_aid", _("法律援助申请")
        COUNSELLING = "counselling", _("心理疏导")

    class Decision(models.TextChoices):
        APPROVED = "approved", _("给予法律援助")
        REFUSED = "refused", _("不予法律援助")

    kind = models.CharField(_("类型"), max_length=14, choices=Kind.choices)
    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="legal_services",
        verbose_name=_("案件"),
    )
    person_name = models.CharField(_("服务对象"), max_length=50)
    phone = EncryptedCharField(_("联系电话"), max_length=20, blank=True, null=True)
    id_number = EncryptedCharField(_("身份证号码"), max_length=18, blank=True, null=True)
    summary = models.TextField(_("事项"), max_length=5000)
    answer = models.TextField(_("答复/记录"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("接待人"),
    )
    created_at = models.DateTimeField(
        default=timezone.now, db_index=True, verbose_name=_("登记时间")
    )
    # Legal aid only (《法律援助法》): decision in 7 working days, lawyer in 3 after approval.
    referred_to = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("转交部门"),
    )
    decision_due_at = models.DateTimeField(_("审查决定期限"), null=True, blank=True, db_index=True)
    decision = models.CharField(_("审查决定"), max_length=10, choices=Decision.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("决定时间"))
    lawyer_due_at = models.DateTimeField(_("指派律师期限"), null=True, blank=True, db_index=True)
    lawyer = models.ForeignKey(
        Mediator,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="legal_aid_cases",
        verbose_name=_("指派律师"),
    )
    lawyer_assigned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("指派律师时间"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("法律服务")
        verbose_name_plural = _("法律服务")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.person_name}"


class PetitionRecord(models.Model):
    """信访事项的办理链 (《信访工作条例》 2022): decide whether to accept within 15 days and
    tell the petitioner in writing (受理告知书 / 不予受理告知书 naming where to go) → handle
    within 60 days (+30 once, approved, reason told) → 信访处理意见书 → 复查 asked within 30
    days of receiving it, decided within 30 → 复核 the same → 终结. Every period is a row of
    the period table; ``next_due_at`` is the clock the handling side must meet now (the
    reminder sweep reads it), empty while the petitioner's own window runs."""

    class Stage(models.TextChoices):
        ACCEPTANCE = "acceptance", _("待决定是否受理")
        REFUSED = "refused", _("不予受理")
        HANDLING = "handling", _("办理中")
        REPLIED = "replied", _("已出具处理意见")
        REVIEW = "review", _("复查中")
        REVIEWED = "reviewed", _("已出具复查意见")
        REREVIEW = "rereview", _("复核中")
        CONCLUDED = "concluded", _("已终结")

    case = models.OneToOneField(
        Case, verbose_name=_("案件"), related_name="petition", on_delete=models.PROTECT
    )
    stage = models.CharField(
        _("阶段"), max_length=12, choices=Stage.choices, default=Stage.ACCEPTANCE
    )
    next_due_at = models.DateTimeField(_("当前期限"), null=True, blank=True, db_index=True)
    received_at = models.DateTimeField(_("收到信访事项"))
    accept_due_at = models.DateTimeField(_("受理告知期限"))
    decided_at = models.DateTimeField(_("受理决定时间"), null=True, blank=True)
    notice_number = models.CharField(_("受理/不予受理告知书"), max_length=40, blank=True)
    route = models.CharField(_("告知的途径"), max_length=300, blank=True)
    handle_due_at = models.DateTimeField(_("办理期限"), null=True, blank=True)
    extension_reason = models.CharField(_("延期理由"), max_length=500, blank=True)
    replied_at = models.DateTimeField(_("处理意见书送达"), null=True, blank=True)
    reply_number = models.CharField(_("信访处理意见书"), max_length=40, blank=True)
    # The text of the 信访处理意见书, written by the officer and frozen as issued.
    reply_facts = models.TextField(_("查明的事实"), max_length=10000, blank=True)
    reply_opinion = models.TextField(_("处理意见"), max_length=5000, blank=True)
    reply_basis = models.TextField(_("处理依据"), max_length=2000, blank=True)
    review_body = models.CharField(_("复查机关"), max_length=100, blank=True)
    review_request_due_at = models.DateTimeField(_("复查请求期限"), null=True, blank=True)
    review_requested_at = models.DateTimeField(_("请求复查时间"), null=True, blank=True)
    review_due_at = models.DateTimeField(_("复查期限"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("复查意见送达"), null=True, blank=True)
    review_number = models.CharField(_("复查意见书"), max_length=40, blank=True)
    rereview_request_due_at = models.DateTimeField(_("复核请求期限"), null=True, blank=True)
    rereview_requested_at = models.DateTimeField(_("请求复核时间"), null=True, blank=True)
    rereview_due_at = models.DateTimeField(_("复核期限"), null=True, blank=True)
    rereviewed_at = models.DateTimeField(_("复核意见送达(终结)"), null=True, blank=True)
    rereview_number = models.CharField(_("复核意见书"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("信访事项办理")
        verbose_name_plural = _("信访事项办理")

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_stage_display()}"


class LabourRecord(models.Model):
    """劳动争议 (《劳动争议调解仲裁法》): mediation, and when no agreement is reached within 15
    days (art. 14) a referral to the labour arbitration commission, whose acceptance
    decision is due in 5 days (art. 29) and award in 45 days, +15 once with approval
    (art. 43); the outcome is recorded back here. ``next_due_at`` as on PetitionRecord."""

    class Stage(models.TextChoices):
        MEDIATION = "mediation", _("调解中")
        SETTLED = "settled", _("调解成功")
        REFERRED = "referred", _("已申请仲裁")
        NOT_ACCEPTED = "not_accepted", _("仲裁不予受理")
        ARBITRATION = "arbitration", _("仲裁审理中")
        AWARDED = "awarded", _("已裁决/结案")

    case = models.OneToOneField(
        Case, verbose_name=_("案件"), related_name="labour", on_delete=models.PROTECT
    )
    stage = models.CharField(_("阶段"), max_length=12, choices=Stage.choices)
    next_due_at = models.DateTimeField(_("当前期限"), null=True, blank=True, db_index=True)
    mediation_applied_at = models.DateTimeField(_("收到调解申请"))
    mediation_due_at = models.DateTimeField(_("调解期限"))
    mediation_ended_at = models.DateTimeField(_("调解结束"), null=True, blank=True)
    arbitration_applied_at = models.DateTimeField(_("申请仲裁时间"), null=True, blank=True)
    commission = models.CharField(_("仲裁委员会"), max_length=100, blank=True)
    accept_due_at = models.DateTimeField(_("仲裁受理期限"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("仲裁受理/不予受理时间"), null=True, blank=True)
    arbitration_reference = models.CharField(_("仲裁案号"), max_length=60, blank=True)
    award_due_at = models.DateTimeField(_("仲裁结案期限"), null=True, blank=True)
    award_extended = models.BooleanField(_("已延期"), default=False)
    outcome = models.CharField(_("仲裁结果"), max_length=500, blank=True)
    outcome_at = models.DateTimeField(_("结案时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("劳动争议调解仲裁")
        verbose_name_plural = _("劳动争议调解仲裁")

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_stage_display()}"
