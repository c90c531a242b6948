"""Blogger exports, legacy GData XML and Takeout feed.atom: posts and comments, drafts, strict and streaming XML."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from app.imports.google.blogger import iter_blogger, sniff_blogger
from app.imports.summary import FormatError, ImportSummary

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed: the schema validation cannot run")

REPO = Path(__file__).resolve().parents[4]
VALIDATORS = {
    kind: jsonschema.Draft202012Validator(json.loads((REPO / "app" / "imports" / "schemas" / f"{kind}.json").read_text("utf-8")))
    for kind in ("post", "comment")
}
SAMPLES = REPO.parent / "shared" / "data" / "samples" / "blogger"

KIND = "http://schemas.google.com/blogger/2008/kind#"

# The legacy "Back up content" XML: namespaces, ids, draft marker (app namespace of 2006, as in real exports),
# links and authors as Blogger writes them. Labels in Japanese; a reply to a comment; settings and template.
LEGACY = f"""<?xml version='1.0' encoding='UTF-8'?><?xml-stylesheet href="https://www.blogger.com/styles/atom.css"?>
<feed xmlns='http://www.w3.org/2005/Atom' xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/'
 xmlns:gd='http://schemas.google.com/g/2005' xmlns:thr='http://purl.org/syndication/thread/1.0'
 xmlns:georss='http://www.georss.org/georss'>
<id>tag:blogger.com,1999:blog-42.archive</id><updated>2024-05-01T10:00:00.000+09:00</updated>
<title type='text'>柏の庭日記</title>
<author><name>Hanako</name><email>noreply@blogger.com</email></author>
<generator version='7.00' uri='https://www.blogger.com'>Blogger</generator>
<entry><id>tag:blogger.com,1999:blog-42.layout</id><published>2015-03-23T03:56:24.709+01:00</published>
<category scheme='http://schemas.google.com/g/2005#kind' term='{KIND}template'/><title type='text'>Template</title>
<content type='text'>&lt;?xml version="1.0"?&gt;&lt;!DOCTYPE html&gt;&lt;html/&gt;</content></entry>
<entry><id>tag:blogger.com,1999:blog-42.settings.BLOG_NAME</id>
<category scheme='http://schemas.google.com/g/2005#kind' term='{KIND}settings'/><content type='text'>x</content></entry>
<entry><id>tag:blogger.com,1999:blog-42.settings.BLOG_DESCRIPTION</id>
<category scheme='http://schemas.google.com/g/2005#kind' term='{KIND}settings'/><content type='text'>y</content></entry>
<entry><id>tag:blogger.com,1999:blog-42.post-1001</id><published>2024-04-29T18:30:00.000+09:00</published>
<updated>2024-04-29T18:51:45.746+09:00</updated>
<category scheme='http://www.blogger.com/atom/ns#' term='園芸'/>
<category scheme='http://schemas.google.com/g/2005#kind' term='{KIND}post'/>
<category scheme='http://www.blogger.com/atom/ns#' term='ベランダ'/>
<category scheme='http://www.blogger.com/atom/ns#' term='園芸'/>
<title type='text'>トマトの植え付け</title>
<content type='html'>&lt;p&gt;今年も&lt;b&gt;トマト&lt;/b&gt;を植えました。&lt;/p&gt;</content>
<link rel='replies' type='text/html' href='http://niwa.example.jp/2024/04/tomato.html#comment-form' title='2 コメント'/>
<link rel='edit' type='application/atom+xml' href='https://www.blogger.com/feeds/42/posts/default/1001'/>
<link rel='alternate' type='text/html' href='http://niwa.example.jp/2024/04/tomato.html' title='トマトの植え付け'/>
<author><name>Hanako</name><uri>https://www.blogger.com/profile/123</uri><email>noreply@blogger.com</email></author>
<georss:featurename>柏市, 千葉県</georss:featurename><georss:point>35.8676 139.9758</georss:point>
<thr:total>2</thr:total></entry>
<entry><id>tag:blogger.com,1999:blog-42.post-1002</id><published>2024-05-01T09:00:00.001+09:00</published>
<updated>2024-05-01T09:00:44.332+09:00</updated>
<app:control xmlns:app='http://purl.org/atom/app#'><app:draft>yes</app:draft></app:control>
<category scheme='http://schemas.google.com/g/2005#kind' term='{KIND}post'/><title type='text'></title>
<content type='html'>&lt;p&gt;下書き&lt;/p&gt;</content>
<author><name>Hanako</name><email>noreply@blogger.com</email></author><thr:total>0</thr:total></entry>
<entry><id>tag:blogger.com,1999:blog-42.page-2001</id><published>2023-01-01T00:00:00.000+09:00</published>
<updated>2023-01-02T00:00:00.000+09:00</updated>
<category scheme='http://schemas.google.com/g/2005#kind' term='{KIND}page'/><title type='text'>このブログについて</title>
<content type='html'>&lt;p&gt;自己紹介&lt;/p&gt;</content>
<link rel='alternate' type='text/html' href='http://niwa.example.jp/p/about.html' title='このブログについて'/>
<author><name>Hanako</name></author></entry>
<entry><id>tag:blogger.com,1999:blog-42.post-5001</id><published>2024-04-30T08:00:00.000+09:00</published>
<updated>2024-04-30T08:00:00.000+09:00</updated>
<category scheme='http://schemas.google.com/g/2005#kind' term='{KIND}comment'/><title type='text'>美味しそう</title>
<content type='html'>美味しそう！&lt;br /&gt;収穫が楽しみですね</content>
<link rel='edit' type='application/atom+xml' href='https://www.blogger.com/feeds/42/1001/comments/default/5001'/>
<link rel='alternate' type='text/html' href='http://niwa.example.jp/2024/04/tomato.html?showComment=1#c5001' title=''/>
<author><name>Anonymous</name><email>noreply@blogger.com</email></author>
<thr:in-reply-to href='http://niwa.example.jp/2024/04/tomato.html' ref='tag:blogger.com,1999:blog-42.post-1001'
 source='http://www.blogger.com/feeds/42/posts/default/1001' type='text/html'/>
<gd:extendedProperty name='blogger.itemClass' value='pid-1'/></entry>
<entry><id>tag:blogger.com,1999:blog-42.post-5002</id><published>2024-04-30T09:00:00.000+09:00</published>
<category scheme='http://schemas.google.com/g/2005#kind' term='{KIND}comment'/>
<content type='html'>ありがとうございます</content>
<link rel='related' type='application/atom+xml' href='https://www.blogger.com/feeds/42/1001/comments/default/5001'/>
<author><name>Taro</name><uri>https://example.com/taro</uri><email>taro@example.com</email></author>
<thr:in-reply-to href='http://niwa.example.jp/2024/04/tomato.html' ref='tag:blogger.com,1999:blog-42.post-1001'/></entry>
<entry><id>tag:blogger.com,1999:blog-42.post-9</id>
<category scheme='http://schemas.google.com/g/2005#kind' term='{KIND}gadget'/></entry>
</feed>"""

# Takeout's feed.atom (2018 namespace), in the shape of the excerpts quoted in the research notes.
TAKEOUT = """<?xml version='1.0' encoding='utf-8'?>
<feed xmlns='http://www.w3.org/2005/Atom' xmlns:blogger='http://schemas.google.com/blogger/2018'>
  <id>tag:blogger.com,1999:blog-408</id>
  <title>Bernds Blog</title>
  <entry>
    <id>tag:blogger.com,1999:blog-408.post-1</id>
    <blogger:type>POST</blogger:type>
    <blogger:status>LIVE</blogger:status>
    <author><name>Bernd</name><uri>https://plus.google.com/114</uri><blogger:type>BLOGGER</blogger:type></author>
    <title>Nach Suzhou</title>
    <content type='html'>&lt;div dir="ltr"&gt;Reise&lt;/div&gt;</content>
    <blogger:created>2011-10-08T19:40:53.278Z</blogger:created>
    <published>2011-05-11T19:46:00Z</published>
    <updated>2011-11-11T19:26:59.997Z</updated>
    <blogger:location>
      <blogger:name>Suzhou, Jiangsu, China</blogger:name>
      <blogger:latitude>31.298886</blogger:latitude>
      <blogger:longitude>120.585316</blogger:longitude>
      <blogger:span>0.434161,0.631714</blogger:span>
    </blogger:location>
    <category scheme='tag:blogger.com,1999:blog-408' term='Reisen'/>
    <category scheme='tag:blogger.com,1999:blog-408' term='China'/>
    <blogger:filename>/2011/10/nach-suzhou.html</blogger:filename>
  </entry>
  <entry>
    <id>tag:blogger.com,1999:blog-408.post-2</id>
    <blogger:type>POST</blogger:type><blogger:status>DRAFT</blogger:status>
    <author><name>Bernd</name></author><title>Entwurf</title>
    <content type='html'>&lt;p&gt;noch nicht fertig&lt;/p&gt;</content>
    <published>2012-01-01T00:00:00Z</published><updated>2012-01-02T00:00:00Z</updated>
    <blogger:location><blogger:name></blogger:name><blogger:latitude></blogger:latitude></blogger:location>
    <blogger:filename>/2012/01/entwurf.html</blogger:filename>
  </entry>
  <entry>
    <id>tag:blogger.com,1999:blog-408.post-3</id>
    <blogger:type>POST</blogger:type><blogger:status>SOFT_TRASHED</blogger:status>
    <author><name>Bernd</name></author><title>Gelöscht</title><content type='html'>weg</content>
    <published>2013-01-01T00:00:00Z</published><updated>2013-01-02T00:00:00Z</updated>
    <blogger:trashed>2013-02-01T00:00:00Z</blogger:trashed>
  </entry>
  <entry>
    <id>tag:blogger.com,1999:blog-408.post-4</id>
    <blogger:type>POST</blogger:type><blogger:status>SCHEDULED</blogger:status>
    <title>Später</title><content type='html'>bald</content><published>2030-01-01T00:00:00Z</published>
  </entry>
  <entry>
    <id>tag:blogger.com,1999:blog-408.page-7</id>
    <blogger:type>PAGE</blogger:type><blogger:status>LIVE</blogger:status>
    <author><name>Bernd</name></author><title>Über mich</title><content type='html'>&lt;p&gt;Hallo&lt;/p&gt;</content>
    <published>2010-01-01T00:00:00Z</published><updated>2010-01-01T00:00:00Z</updated>
    <blogger:filename>/p/ueber-mich.html</blogger:filename>
  </entry>
  <entry>
    <id>tag:blogger.com,1999:blog-408.post-301</id>
    <blogger:parent>tag:blogger.com,1999:blog-408.post-1</blogger:parent>
    <blogger:inReplyTo/>
    <blogger:type>COMMENT</blogger:type><blogger:status>LIVE</blogger:status>
    <author><name>Leser</name><uri>https://example.org/leser</uri><blogger:type>ANONYMOUS</blogger:type></author>
    <content type='html'>Schöne Reise!</content>
    <published>2011-05-12T08:00:00Z</published><updated>2011-05-12T08:00:00Z</updated>
  </entry>
  <entry>
    <id>tag:blogger.com,1999:blog-408.post-302</id>
    <blogger:parent>tag:blogger.com,1999:blog-408.post-1</blogger:parent>
    <blogger:inReplyTo>tag:blogger.com,1999:blog-408.post-301</blogger:inReplyTo>
    <blogger:type>COMMENT</blogger:type><blogger:status>SOFT_TRASHED</blogger:status>
    <author><name>Bernd</name></author>
    <content type='html'>Danke</content>
    <published>2011-05-12T09:00:00+02:00</published>
  </entry>
  <entry>
    <id>tag:blogger.com,1999:blog-408.widget-1</id>
    <blogger:type>WIDGET</blogger:type>
  </entry>
</feed>"""


def parse(data: str | bytes, **kwargs) -> tuple[list[dict], ImportSummary]:
    summary = ImportSummary()
    raw = data.encode("utf-8") if isinstance(data, str) else data
    items = list(iter_blogger(io.BytesIO(raw), summary, **kwargs))
    for item in items:
        VALIDATORS[item["kind"]].validate(item)
    return items, summary


def by_id(items: list[dict]) -> dict[str, dict]:
    return {item["id"].rsplit(".", 1)[-1]: item for item in items}


# --------------------------------------------------------------------------- sniffing


def test_sniff_tells_the_layouts_apart():
    assert sniff_blogger(LEGACY.encode()) == "legacy"
    assert sniff_blogger(TAKEOUT.encode()) == "takeout"
    assert sniff_blogger(b"\xef\xbb\xbf\n" + TAKEOUT.encode()) == "takeout"


@pytest.mark.parametrize("head", [
    b"",
    b"BEGIN:VCALENDAR\r\n",
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>tag:blogger.com,1999:blog-1</title></channel></rss>",
    b"<feed xmlns='http://www.w3.org/2005/Atom'><id>urn:uuid:1</id><title>Other blog</title></feed>",
    b'{"kind": "http://schemas.google.com/blogger/2008/kind#post"}',
    b"<html><body>xmlns:blogger='http://schemas.google.com/blogger/2018'</body></html>",
])
def test_sniff_refuses_other_content(head):
    assert sniff_blogger(head) is None


def test_sniff_reads_at_most_64_kib():
    late = b"<feed xmlns='http://www.w3.org/2005/Atom'>" + b" " * (64 * 1024) + b"<id>tag:blogger.com,1999:blog-1</id>"
    assert sniff_blogger(late) is None


# --------------------------------------------------------------------------- legacy


def test_legacy_posts_pages_comments_and_what_is_skipped():
    items, summary = parse(LEGACY)
    assert summary.counts == {"post": 3, "comment": 2}
    assert summary.skipped == {"template": 1, "settings": 2, "entry": 1}  # (a fixed set of keys: not "gadget")
    assert list(summary.warnings) == ["unknown_kind"]
    assert summary.sources == {"柏の庭日記": 5}


def test_legacy_post_fields():
    post = by_id(parse(LEGACY)[0])["post-1001"]
    assert post == {
        "kind": "post", "schema_version": 1,
        "id": "tag:blogger.com,1999:blog-42.post-1001", "blog_id": "42", "blog_title": "柏の庭日記",
        "type": "post", "status": "live", "title": "トマトの植え付け",
        "content_html": "<p>今年も<b>トマト</b>を植えました。</p>",
        "published": "2024-04-29T18:30:00+09:00", "updated": "2024-04-29T18:51:45.746+09:00", "created": None,
        "url": "http://niwa.example.jp/2024/04/tomato.html", "path": "/2024/04/tomato.html",
        "labels": ["園芸", "ベランダ"], "author": "Hanako",
        "location": {"name": "柏市, 千葉県", "latitude": 35.8676, "longitude": 139.9758},
    }


def test_legacy_draft_and_page():
    items = by_id(parse(LEGACY)[0])
    draft, page = items["post-1002"], items["page-2001"]
    assert (draft["type"], draft["status"], draft["title"], draft["url"]) == ("post", "draft", None, None)
    assert draft["published"] == "2024-05-01T09:00:00.001+09:00"
    assert (page["type"], page["status"], page["path"]) == ("page", "live", "/p/about.html")


def test_legacy_draft_in_the_2007_app_namespace():
    xml = LEGACY.replace("xmlns:app='http://purl.org/atom/app#'", "xmlns:app='http://www.w3.org/2007/app'")
    assert by_id(parse(xml)[0])["post-1002"]["status"] == "draft"


def test_legacy_comments_link_to_their_post_and_the_comment_they_answer():
    items = by_id(parse(LEGACY)[0])
    first, reply = items["post-5001"], items["post-5002"]
    assert first["kind"] == reply["kind"] == "comment"
    assert first["post_id"] == reply["post_id"] == "tag:blogger.com,1999:blog-42.post-1001"
    assert first["in_reply_to"] is None and reply["in_reply_to"] == "tag:blogger.com,1999:blog-42.post-5001"
    assert first["content_html"] == "美味しそう！<br />収穫が楽しみですね" and first["status"] == "live"
    assert (first["author"], reply["author"]) == ("Anonymous", "Taro")
    assert first["url"] == "http://niwa.example.jp/2024/04/tomato.html?showComment=1#c5001"


def test_authors_are_names_only():
    text = json.dumps(parse(LEGACY)[0] + parse(TAKEOUT)[0], ensure_ascii=False)
    for personal in ("@", "noreply", "example.com/taro", "example.org", "profile/123", "plus.google.com"):
        assert personal not in text


def test_date_range_is_that_of_published():
    _, summary = parse(LEGACY)
    assert summary.first.isoformat() == "2023-01-01T00:00:00+09:00"
    assert summary.last.isoformat() == "2024-05-01T09:00:00+09:00"


# --------------------------------------------------------------------------- takeout


def test_takeout_posts_pages_comments_and_statuses():
    items, summary = parse(TAKEOUT)
    assert summary.counts == {"post": 5, "comment": 2}
    assert summary.skipped == {"entry": 1} and list(summary.warnings) == ["unknown_type"]
    statuses = {key: (item.get("type", "comment"), item["status"]) for key, item in by_id(items).items()}
    assert statuses == {
        "post-1": ("post", "live"), "post-2": ("post", "draft"), "post-3": ("post", "trashed"),
        "post-4": ("post", "scheduled"), "page-7": ("page", "live"),
        "post-301": ("comment", "live"), "post-302": ("comment", "trashed"),
    }


def test_takeout_post_fields():
    post = by_id(parse(TAKEOUT)[0])["post-1"]
    assert post["blog_id"] == "408" and post["blog_title"] == "Bernds Blog" and post["author"] == "Bernd"
    assert post["content_html"] == '<div dir="ltr">Reise</div>'
    assert post["published"] == "2011-05-11T19:46:00+00:00" and post["updated"] == "2011-11-11T19:26:59.997+00:00"
    assert post["created"] == "2011-10-08T19:40:53.278+00:00"
    assert post["path"] == "/2011/10/nach-suzhou.html" and post["url"] is None
    assert post["labels"] == ["Reisen", "China"]
    assert post["location"] == {"name": "Suzhou, Jiangsu, China", "latitude": 31.298886, "longitude": 120.585316}
    assert by_id(parse(TAKEOUT)[0])["post-2"]["location"] is None  # Blogger writes empty location elements


def test_takeout_comments_link_to_post_and_parent_comment():
    items = by_id(parse(TAKEOUT)[0])
    first, reply = items["post-301"], items["post-302"]
    assert first["post_id"] == reply["post_id"] == "tag:blogger.com,1999:blog-408.post-1"
    assert first["in_reply_to"] is None and reply["in_reply_to"] == "tag:blogger.com,1999:blog-408.post-301"
    assert first["author"] == "Leser" and reply["published"] == "2011-05-12T09:00:00+02:00"


def test_layout_given_or_told_from_the_document():
    assert parse(TAKEOUT, layout="takeout")[1].counts == parse(TAKEOUT)[1].counts
    items, summary = parse(LEGACY, layout="takeout")  # the caller's word is taken: no entry has a blogger:type
    assert items == [] and summary.skipped["entry"] == 9
    with pytest.raises(ValueError):
        parse(LEGACY, layout="atom")


# --------------------------------------------------------------------------- bad entries and bad files


def test_entry_without_an_id_is_skipped():
    xml = TAKEOUT.replace("<id>tag:blogger.com,1999:blog-408.post-2</id>", "")
    items, summary = parse(xml)
    assert summary.counts["post"] == 4 and summary.skipped["post"] == 1 and "bad_entry" in summary.warnings


def test_bad_dates_are_left_out_with_a_warning():
    xml = TAKEOUT.replace("2011-05-11T19:46:00Z", "11 May 2011").replace("2011-05-12T08:00:00Z", "2011-05-12T08:00:00")
    items = by_id(parse(xml)[0])
    assert items["post-1"]["published"] is None and items["post-301"]["published"] is None
    assert parse(xml)[1].warnings["bad_date"]["count"] == 3  # the comment's `updated` too


ENTITIES = """<?xml version="1.0"?>
<!DOCTYPE feed [
<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
"""


@pytest.mark.parametrize("prolog", [
    ENTITIES,
    '<?xml version="1.0"?><!DOCTYPE feed SYSTEM "http://127.0.0.1:9/blogger.dtd">',
    "<!DOCTYPE feed>",
])
def test_a_doctype_is_refused_used_or_not(prolog):
    title = "<title>&lol2;</title>" if "lol" in prolog else "<title/>"
    body = TAKEOUT.split("?>", 1)[1].replace("<title>Bernds Blog</title>", title)
    with pytest.raises(FormatError) as caught:
        parse(prolog + body)
    assert caught.value.code == "entity"


def test_an_undeclared_entity_is_refused():
    with pytest.raises(FormatError) as caught:
        parse(TAKEOUT.replace("Schöne Reise!", "Sch&ouml;ne Reise"))
    assert caught.value.code == "entity"


@pytest.mark.parametrize("data", [
    b"",
    b"hello",
    b'{"kind": "blogger#post"}',
    b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>",
    b"<feed xmlns='http://www.w3.org/2005/Atom'><id>urn:uuid:1</id><entry><id>urn:uuid:2</id><title>x</title></entry></feed>",
    b"<feed xmlns='http://www.w3.org/2005/Atom'><id>urn:uuid:1</id></feed>",
    b"<feed><entry/></feed>",
    "<feed/>".encode("utf-16"),
])
def test_not_blogger_is_refused(data):
    with pytest.raises(FormatError) as caught:
        parse(data)
    assert caught.value.code in ("not_blogger", "xml")
    assert caught.value.code == ("xml" if data == b"" else "not_blogger")


def test_a_cut_off_file_is_refused_after_the_entries_read():
    data = TAKEOUT.encode()
    cut = data[: data.index(b"<id>tag:blogger.com,1999:blog-408.post-3</id>")]
    summary = ImportSummary()
    items: list[dict] = []
    with pytest.raises(FormatError) as caught:
        items.extend(iter_blogger(io.BytesIO(cut), summary))
    assert caught.value.code == "xml" and len(items) == 2


def test_characters_xml_forbids_are_removed_with_a_warning():
    items, summary = parse(TAKEOUT.replace("Schöne Reise!", "Schöne\x0b Reise!\x0c"))
    assert by_id(items)["post-301"]["content_html"] == "Schöne Reise!"
    assert summary.warnings["control_characters_removed"]["count"] == 2


def test_entries_are_streamed():
    """Each entry is yielded as it ends, long before the end of the file (and then cleared, as in the Apple parser)."""
    entry = ("<entry><id>tag:blogger.com,1999:blog-408.post-{n}</id><blogger:type>COMMENT</blogger:type>"
             "<blogger:status>LIVE</blogger:status><content type='html'>{text}</content>"
             "<published>2020-01-01T00:00:00Z</published></entry>")
    body = "".join(entry.format(n=n, text="x" * 500) for n in range(20_000))
    stream = io.BytesIO((TAKEOUT.split("<entry>", 1)[0] + body + "</feed>").encode())
    items = iter_blogger(stream, ImportSummary())
    assert next(items)["id"].endswith("post-0") and stream.tell() < len(stream.getvalue()) // 4
    assert sum(1 for _ in items) == 19_999


# --------------------------------------------------------------------------- the shared sample

KIND_TERM = re.compile(rb"term='http://schemas\.google\.com/blogger/2008/kind#(\w+)'")


@pytest.mark.skipif(not SAMPLES.is_dir() or not any(SAMPLES.glob("*.xml")),
                    reason=f"the shared Blogger samples are not here ({SAMPLES})")
@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.xml")) if SAMPLES.is_dir() else [], ids=lambda p: p.name)
def test_legacy_sample(path: Path):
    """Counts checked against a byte scan of the kind categories (the template's own text escapes its markup)."""
    data = path.read_bytes()
    assert sniff_blogger(data[: 64 * 1024]) == "legacy"
    kinds: dict[str, int] = {}
    for kind in KIND_TERM.findall(data):
        kinds[kind.decode()] = kinds.get(kind.decode(), 0) + 1
    items, summary = parse(data)
    assert summary.counts["post"] == kinds.get("post", 0) + kinds.get("page", 0) > 0
    assert summary.counts["comment"] == kinds.get("comment", 0)
    assert summary.skipped == {k: n for k, n in kinds.items() if k in ("settings", "template")}
    assert not summary.warnings
    drafts = len(re.findall(rb"<app:draft>yes</app:draft>", data))
    assert sum(item.get("status") == "draft" for item in items) == drafts
    assert sum(item.get("type") == "page" for item in items) == kinds.get("page", 0)
    assert "noreply@blogger.com" not in json.dumps(items)
