//! The PDF documents (SPEC 4.5, 4.6), read back with poppler's tools: the application report
//! and the deactivation act.

use corpnum_tests::*;
use serde_json::json;

fn accept_pdf(app: &TestApp, token: &str, path: &str, english: bool) -> reqwest::RequestBuilder {
    let rb = app
        .request(reqwest::Method::GET, path, Some(token))
        .header("Accept", "application/pdf");
    if english {
        rb.header("Accept-Language", "en")
    } else {
        rb
    }
}

/// Text of every page, in reading order. With `CORPNUM_KEEP_PDF=<dir>` the document is
/// also kept there, to look at.
fn text(pdf: &[u8]) -> String {
    if let Ok(dir) = std::env::var("CORPNUM_KEEP_PDF") {
        let name = format!("{dir}/corpnum-{}.pdf", uuid::Uuid::new_v4());
        let _ = std::fs::write(name, pdf);
    }
    poppler("pdftotext", &["-layout", "-enc", "UTF-8"], pdf)
}

fn pages(pdf: &[u8]) -> usize {
    poppler("pdfinfo", &[], pdf)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count"))
}

/// A rejected application with a comment, as its organization and an operator see it.
async fn rejected(app: &TestApp, org: &Org, phone: &str) -> (String, String) {
    let (token, id) = app.confirmed(org, &application_body(org, phone)).await;
    app.run_review_worker().await;
    let r = app
        .decide(
            &operator_token(),
            &id,
            &json!({ "decision": "reject", "reason": "requisites_mismatch", "comment": "ОГРН не совпадает с выпиской из ЕГРЮЛ" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    (token, id)
}

#[tokio::test]
async fn the_application_report_is_a_printable_russian_pdf() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let phone = random_phone();
    let (token, id) = rejected(&app, &org, &phone).await;

    let r = app
        .send(accept_pdf(
            &app,
            &token,
            &format!("/v1/applications/{id}"),
            false,
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    assert_eq!(
        r.header("content-disposition"),
        Some(format!("attachment; filename=\"corpnum-{id}.pdf\"").as_str())
    );
    assert!(r.bytes.starts_with(b"%PDF-"), "a PDF");

    let info = poppler("pdfinfo", &[], &r.bytes);
    assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");
    let fonts = poppler("pdffonts", &[], &r.bytes);
    let embedded: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!embedded.is_empty(), "{fonts}");
    for line in &embedded {
        // name, type, encoding, emb, sub, uni, object, id
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert!(cols[0].contains("+CorpnumSans-"), "a subset: {line}");
        assert_eq!(
            &cols[cols.len() - 5..cols.len() - 2],
            ["yes", "yes", "yes"],
            "embedded, subset, with ToUnicode: {line}"
        );
    }

    let t = text(&r.bytes);
    for expected in [
        "Отчёт по заявке на активацию корпоративного номера",
        id.as_str(),
        "ПАО Пример",
        org.inn.as_str(),
        org.ogrn.as_str(),
        phone.as_str(),
        "***-***-445 95",
        "Иванов Иван Иванович",
        "Отклонено",
        "Реквизиты не совпадают с данными реестра",
        "operator-1",
        "ОГРН не совпадает с выпиской из ЕГРЮЛ",
        "Устав",
        "Доверенность",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "Ожидает",
        "подтверждения",
        "На ручной проверке",
        "applicant:",
        "system:review-worker",
        "8 800",
        "При обращении в поддержку укажите номер заявки",
        "Стр. 1 из 1",
    ] {
        assert!(t.contains(expected), "{expected:?} missing from:\n{t}");
    }
    assert!(!t.contains("112-233-445 95"), "the SNILS stays masked");
    assert!(!t.contains('?'), "every character has its glyph:\n{t}");

    // The same document at its own address; English on request.
    let same = app
        .get(&token, &format!("/v1/applications/{id}/report.pdf"))
        .await;
    assert_eq!(same.status, 200);
    assert_eq!(same.bytes, r.bytes, "one report, two addresses");
    let en = app
        .send(accept_pdf(
            &app,
            &token,
            &format!("/v1/applications/{id}/report.pdf"),
            true,
        ))
        .await;
    let t = text(&en.bytes);
    for expected in [
        "Corporate number application report",
        "Rejected",
        "Requisites do not match",
        "Page 1 of 1",
    ] {
        assert!(t.contains(expected), "{expected:?} missing from:\n{t}");
    }
    // JSON stays the default.
    let json = app.application(&token, &id).await;
    assert_eq!(json.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn the_report_has_the_json_views_visibility() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let (_, id) = rejected(&app, &org, &random_phone()).await;
    let stranger = org_token(&Org::random());
    for path in [
        format!("/v1/applications/{id}"),
        format!("/v1/applications/{id}/report.pdf"),
    ] {
        let r = app.send(accept_pdf(&app, &stranger, &path, false)).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
    let r = app
        .get(
            &operator_token(),
            &format!("/v1/applications/{id}/report.pdf"),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(text(&r.bytes).contains(&id));
    let r = app
        .get(
            &operator_token(),
            &format!("/v1/applications/{}/report.pdf", uuid::Uuid::new_v4()),
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn a_long_history_flows_onto_pages_with_the_header_repeated() {
    use corpnum::domain::{Actor, ApplicationStatus, HistoryEntry};
    use corpnum::ports::ApplicationUpdate;

    let app = TestApp::spawn().await;
    let org = Org::random();
    let (token, id) = rejected(&app, &org, &random_phone()).await;
    let uuid = uuid::Uuid::parse_str(&id).unwrap_or_else(|e| panic!("{e}"));
    let store = app.world.services.store.clone();
    let comment = "Проверено по выписке; оператор уточнил реквизиты и сверил документы с реестром, \
                   длинный комментарий переносится на следующую строку таблицы";
    for batch in 0..10 {
        let mut stored = store
            .get(uuid)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("gone"));
        stored.application.revision += 1;
        let entries: Vec<HistoryEntry> = (0..20)
            .map(|i| HistoryEntry {
                at: app.now() + chrono::Duration::seconds(batch * 20 + i),
                from: Some(ApplicationStatus::Rejected),
                to: ApplicationStatus::Rejected,
                actor: Actor::Operator("operator-2".into()),
                comment: Some(format!("{comment} ({})", batch * 20 + i)),
            })
            .collect();
        store
            .update(
                ApplicationUpdate {
                    application: &stored.application,
                    history: &entries,
                    number: None,
                    replaced: None,
                    charges: &[],
                    now: app.now(),
                },
                None,
            )
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
    }
    let r = app
        .get(&token, &format!("/v1/applications/{id}/report.pdf"))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let n = pages(&r.bytes);
    assert!(n >= 5, "{n} pages");
    let t = text(&r.bytes);
    let page_texts: Vec<&str> = t.split('\u{c}').filter(|p| !p.trim().is_empty()).collect();
    assert_eq!(page_texts.len(), n);
    for (i, page) in page_texts.iter().enumerate() {
        assert!(
            page.contains(&format!("Стр. {} из {n}", i + 1)),
            "page {}:\n{page}",
            i + 1
        );
    }
    // Every page after the first is a page of the history table, under its header.
    for page in &page_texts[1..n - 1] {
        assert!(
            page.contains("Дата и время") && page.contains("Стало"),
            "{page}"
        );
    }
    for i in [0, 57, 199] {
        assert!(t.contains(&format!("({i})")), "entry {i} printed");
    }
}

#[tokio::test]
async fn the_deactivation_act_is_a_pdf_for_its_organization() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let phone = random_phone();
    let (token, application_id) = app.active_number(&org, &phone).await;
    let act = app.deactivate(&token, &phone, "division_closed").await;
    let act_number = act.body["act_number"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let json = app.act(&token, &phone, &act_number).await;
    assert_eq!(json.status, 200);
    let path = act_path(&phone, &act_number);

    let r = app.send(accept_pdf(&app, &token, &path, false)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
    let ascii = act_number.replace("ДА", "DA");
    assert_eq!(
        r.header("content-disposition"),
        Some(format!("attachment; filename=\"corpnum-act-{ascii}.pdf\"").as_str())
    );
    let t = text(&r.bytes);
    for expected in [
        format!("Акт деактивации корпоративного номера № {act_number}"),
        phone.clone(),
        "ПАО Пример".into(),
        org.inn.clone(),
        "Подразделение закрыто".into(),
        "Закрыто".into(),
        application_id.clone(),
        "Стр. 1 из 1".into(),
    ] {
        assert!(t.contains(&expected), "{expected:?} missing from:\n{t}");
    }
    let stranger = org_token(&Org::random());
    let r = app.send(accept_pdf(&app, &stranger, &path, false)).await;
    assert_eq!(r.status, 404);
    let en = app.send(accept_pdf(&app, &token, &path, true)).await;
    assert!(
        text(&en.bytes).contains("Deactivation act"),
        "English on request"
    );
}
