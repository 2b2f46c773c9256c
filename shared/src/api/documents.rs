//! The PDF documents (SPEC 4.5, 4.6): the application report the portal's guide calls
//! «Скачать PDF», and the deactivation act. Russian unless English is asked for; times in
//! Moscow time, as a Russian reader files them.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::Lang;
use crate::app::SupportContacts;
use crate::domain::{ApplicationStatus, DeactivationAct, Document, RejectionReason};
use crate::pdf::{Column, Document as Pdf, Style};
use crate::ports::StoredApplication;

pub const CONTENT_TYPE: &str = "application/pdf";

const BODY: f32 = 9.5;
const TABLE: f32 = 8.0;

/// `01.12.2026 15:04 МСК` (UTC+3).
fn moscow(t: DateTime<Utc>, lang: Lang) -> String {
    let local = t + Duration::hours(3);
    let zone = if lang.is_english() {
        "MSK (UTC+3)"
    } else {
        "МСК"
    };
    format!("{} {zone}", local.format("%d.%m.%Y %H:%M"))
}

fn pick(lang: Lang, ru: &'static str, en: &'static str) -> &'static str {
    if lang.is_english() { en } else { ru }
}

fn footer(lang: Lang, reference: String) -> impl Fn(usize, usize) -> String {
    move |n, m| {
        if lang.is_english() {
            format!("{reference} · Page {n} of {m}")
        } else {
            format!("{reference} · Стр. {n} из {m}")
        }
    }
}

/// `1.2 MB`, `48 KB`, `900 B`.
fn size(bytes: u64, lang: Lang) -> String {
    let (kb, mb, b) = if lang.is_english() {
        ("KB", "MB", "B")
    } else {
        ("КБ", "МБ", "Б")
    };
    if bytes >= 1024 * 1024 {
        format!("{:.1} {mb}", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{} {kb}", bytes.div_ceil(1024))
    } else {
        format!("{bytes} {b}")
    }
}

/// Type, file and size in one column; the SHA-256 whole in the other (it fits one line at
/// the table's size, so it can be copied as it is).
fn documents_table(doc: &mut Pdf, documents: &[Document], lang: Lang) {
    let rows: Vec<Vec<String>> = documents
        .iter()
        .map(|d| {
            vec![
                format!(
                    "{}\n{} · {}",
                    d.doc_type.label(lang.is_english()),
                    d.file_name,
                    size(d.size_bytes, lang)
                ),
                d.sha256.clone(),
            ]
        })
        .collect();
    doc.table(
        &[
            Column {
                title: pick(lang, "Документ, файл, размер", "Document, file, size"),
                share: 0.44,
            },
            Column {
                title: "SHA-256",
                share: 0.56,
            },
        ],
        &rows,
        TABLE,
    );
}

/// The detailed report on an application: everything its JSON view holds, the history as
/// a table, and whom to ask with the reference to quote.
pub fn application_report(
    stored: &StoredApplication,
    now: DateTime<Utc>,
    lang: Lang,
    support: &SupportContacts,
) -> Vec<u8> {
    let app = &stored.application;
    let en = lang.is_english();
    let status = app.effective_status(now);
    let reference = app.id.to_string();
    let title = pick(
        lang,
        "Отчёт по заявке на активацию корпоративного номера",
        "Corporate number application report",
    );
    let mut doc = Pdf::new(title, if en { "en" } else { "ru" });
    doc.heading(title, 15.0);
    doc.field(pick(lang, "Номер заявки", "Reference"), &reference, BODY);
    doc.field(
        pick(lang, "Отчёт сформирован", "Generated"),
        &moscow(now, lang),
        BODY,
    );
    doc.gap(8.0);

    let org = &app.organization;
    doc.heading(pick(lang, "Организация", "Organization"), 11.0);
    doc.field(pick(lang, "Наименование", "Name"), org.name.as_ref(), BODY);
    doc.field(pick(lang, "ИНН", "INN"), org.inn.as_ref(), BODY);
    let ogrn_label = match org.kind() {
        crate::domain::OrganizationKind::LegalEntity => pick(lang, "ОГРН", "OGRN"),
        crate::domain::OrganizationKind::Entrepreneur => pick(lang, "ОГРНИП", "OGRNIP"),
    };
    doc.field(ogrn_label, org.ogrn.as_ref(), BODY);
    if let Some(kpp) = &org.kpp {
        doc.field(pick(lang, "КПП", "KPP"), kpp.as_ref(), BODY);
    }
    doc.gap(8.0);

    doc.heading(pick(lang, "Номер и сотрудник", "Number and employee"), 11.0);
    doc.field(pick(lang, "Номер", "Number"), app.phone.as_ref(), BODY);
    if let Some(old) = &app.replaces {
        doc.field(pick(lang, "Заменяет номер", "Replaces"), old.as_ref(), BODY);
    }
    doc.field(
        pick(lang, "Сотрудник", "Employee"),
        app.employee.full_name.as_ref(),
        BODY,
    );
    doc.field(
        pick(lang, "СНИЛС", "SNILS"),
        &app.employee.snils.masked(),
        BODY,
    );
    doc.gap(8.0);

    doc.heading(pick(lang, "Статус", "Status"), 11.0);
    doc.field(pick(lang, "Статус", "Status"), status.label(en), BODY);
    doc.field(
        pick(lang, "Подана", "Submitted"),
        &moscow(app.created_at, lang),
        BODY,
    );
    doc.field(
        pick(lang, "Обновлена", "Updated"),
        &moscow(app.updated_at, lang),
        BODY,
    );
    if matches!(
        status,
        ApplicationStatus::UnderReview | ApplicationStatus::ManualReview
    ) && let Some(eta) = app.expected_completion_at
    {
        doc.field(
            pick(lang, "Ожидаемое завершение", "Expected completion"),
            &moscow(eta, lang),
            BODY,
        );
    }
    doc.field(
        pick(lang, "Ответственный оператор", "Responsible operator"),
        app.operator.as_deref().unwrap_or("—"),
        BODY,
    );
    doc.field(
        pick(lang, "Комментарий", "Comment"),
        app.comment.as_deref().unwrap_or("—"),
        BODY,
    );
    if status == ApplicationStatus::Rejected {
        let reason = app
            .rejection_reason
            .as_deref()
            .and_then(RejectionReason::parse)
            .map_or("—", |r| r.label(en));
        doc.field(
            pick(lang, "Причина отказа", "Rejection reason"),
            reason,
            BODY,
        );
    }
    if status == ApplicationStatus::DocumentsRequired {
        let wanted: Vec<&str> = app.documents_required.iter().map(|d| d.label(en)).collect();
        doc.field(
            pick(lang, "Требуются документы", "Documents required"),
            &wanted.join("; "),
            BODY,
        );
        if let Some(due) = app.documents_due_at() {
            doc.field(
                pick(lang, "Представить до", "Due by"),
                &moscow(due, lang),
                BODY,
            );
        }
    }
    doc.gap(8.0);

    doc.heading(
        pick(lang, "Приложенные документы", "Attached documents"),
        11.0,
    );
    documents_table(&mut doc, &app.documents, lang);
    doc.gap(10.0);

    doc.heading(pick(lang, "История", "History"), 11.0);
    let rows: Vec<Vec<String>> = stored
        .history
        .iter()
        .map(|h| {
            vec![
                moscow(h.at, lang),
                h.from
                    .map_or_else(|| "—".to_owned(), |s| s.label(en).to_owned()),
                h.to.label(en).to_owned(),
                h.actor.to_string(),
                h.comment.clone().unwrap_or_default(),
            ]
        })
        .collect();
    doc.table(
        &[
            Column {
                title: pick(lang, "Дата и время", "Date and time"),
                share: 0.20,
            },
            Column {
                title: pick(lang, "Было", "From"),
                share: 0.16,
            },
            Column {
                title: pick(lang, "Стало", "To"),
                share: 0.16,
            },
            Column {
                title: pick(lang, "Кто", "By"),
                share: 0.17,
            },
            Column {
                title: pick(lang, "Комментарий", "Comment"),
                share: 0.31,
            },
        ],
        &rows,
        TABLE,
    );
    doc.gap(12.0);

    doc.heading(pick(lang, "Поддержка", "Support"), 11.0);
    doc.field(pick(lang, "Телефон", "Phone"), &support.phone, BODY);
    doc.field(pick(lang, "Эл. почта", "Email"), &support.email, BODY);
    doc.paragraph(
        &if en {
            format!("When contacting support, quote the reference {reference}.")
        } else {
            format!("При обращении в поддержку укажите номер заявки {reference}.")
        },
        Style::Regular,
        BODY,
    );
    doc.finish(footer(lang, reference), now)
}

/// What a deactivation act shows beside the act itself.
#[derive(Debug, Clone, Default)]
pub struct ActDetails {
    pub organization_name: Option<String>,
    pub comment: Option<String>,
    /// The application the binding came from.
    pub application_id: Option<Uuid>,
}

/// The deactivation act (SPEC 4.6) as a document.
pub fn deactivation_act(
    act: &DeactivationAct,
    details: &ActDetails,
    now: DateTime<Utc>,
    lang: Lang,
) -> Vec<u8> {
    let en = lang.is_english();
    let title = if en {
        format!("Deactivation act {}", act.act_number)
    } else {
        format!("Акт деактивации корпоративного номера № {}", act.act_number)
    };
    let mut doc = Pdf::new(&title, if en { "en" } else { "ru" });
    doc.heading(&title, 15.0);
    doc.field(
        pick(lang, "Номер акта", "Act number"),
        &act.act_number,
        BODY,
    );
    doc.field(
        pick(lang, "Дата и время", "Date and time"),
        &moscow(act.deactivated_at, lang),
        BODY,
    );
    doc.field(pick(lang, "Номер", "Number"), act.phone.as_ref(), BODY);
    doc.field(
        pick(lang, "Организация", "Organization"),
        details.organization_name.as_deref().unwrap_or("—"),
        BODY,
    );
    doc.field(
        pick(lang, "ИНН", "INN"),
        act.organization_inn.as_ref(),
        BODY,
    );
    doc.field(pick(lang, "Причина", "Reason"), act.reason.label(en), BODY);
    doc.field(
        pick(lang, "Комментарий", "Comment"),
        details.comment.as_deref().unwrap_or("—"),
        BODY,
    );
    doc.field(
        pick(lang, "Подтвердил", "Confirmed by"),
        &act.deactivated_by,
        BODY,
    );
    doc.field(
        pick(
            lang,
            "Заявка, по которой номер был привязан",
            "Binding's application",
        ),
        &details
            .application_id
            .map_or_else(|| "—".to_owned(), |id| id.to_string()),
        BODY,
    );
    doc.gap(12.0);
    doc.paragraph(
        pick(
            lang,
            "Номер деактивирован и освобождён; привязка к организации и сотруднику прекращена.",
            "The number is deactivated and released; its binding to the organization and the employee has ended.",
        ),
        Style::Regular,
        BODY,
    );
    doc.finish(footer(lang, act.act_number.clone()), now)
}
