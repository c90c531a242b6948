"""Google's demo content: a blog, comments, YouTube subscriptions and watch history per demo account.

Everything is derived from the account's login id and the fixed data below, never from the clock or a random
source: the same account always has the same items with the same ids (the bank's tests and a resident's second
look at a transfer depend on that). Calendar events and the location timeline are in `places`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def stable_digits(*parts: object, length: int = 19) -> str:
    """A numeric id as Blogger uses them, the same for the same parts."""
    number = int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:10], "big")
    return str(number % 10**length).rjust(length, "1")


def stable_token(*parts: object, length: int = 22) -> str:
    """A URL-safe id as YouTube uses them (channel and video ids), the same for the same parts."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return "".join(_ALPHABET[byte % 64] for byte in digest[:length])


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


def rfc3339_jst(moment: datetime) -> str:
    return moment.astimezone(JST).isoformat(timespec="seconds")


def rfc3339_z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass(frozen=True, slots=True)
class PostSeed:
    title: str
    body: str
    labels: tuple[str, ...]
    published: str  # JST, ISO 8601 without zone
    status: str = "LIVE"


@dataclass(frozen=True, slots=True)
class BlogSeed:
    name: str
    description: str
    host: str
    since: str
    posts: tuple[PostSeed, ...]
    comments: int  # how many comments the live posts carry between them
    channels: tuple[tuple[str, str], ...]  # (title, description)
    history: int  # watch-history entries


def _p(title: str, body: str, labels: str, published: str, status: str = "LIVE") -> PostSeed:
    return PostSeed(title, body, tuple(labels.split()), published, status)


HANAKO = BlogSeed(
    name="柏の葉ですくすく日記",
    description="柏の葉で3人の子どもを育てる母の、公園・保育園・子育て支援の記録です。",
    host="kashiwanoha-sukusuku",
    since="2024-04-01T09:00:00",
    posts=(
        _p("柏の葉公園でピクニックデビュー",
           "芝生広場にレジャーシートを広げて、はじめての家族ピクニック。ボート池の鴨に長女が大喜びでした。",
           "公園 週末", "2026-03-21T18:30:00"),
        _p("ららぽーと柏の葉のキッズスペース比べ",
           "雨の日の強い味方。授乳室とキッズスペースの混み具合を曜日ごとにまとめました。",
           "買い物 雨の日", "2026-04-05T21:10:00"),
        _p("柏の葉キャンパス駅前の保育園見学メモ", "駅から徒歩圏の認可保育園を3園見学。園庭の広さと送迎動線を比べています。",
           "保活", "2026-04-26T22:00:00"),
        _p("一時預かりをはじめて使ってみた", "下の子の健診の日に、上の子を一時預かりへ。予約の取り方と持ち物のメモです。",
           "子育て支援", "2026-05-17T20:45:00"),
        _p("乳幼児健診で聞かれたこと", "1歳6か月健診の流れ。待ち時間と、聞かれた質問をまとめました。",
           "健診", "2026-06-08T13:20:00"),
        _p("こんぶくろ池自然博物公園で虫さがし",
           "朝の涼しいうちに、湧き水の池のまわりで虫さがし。カブトムシは見つかりませんでした。",
           "自然 公園", "2026-07-19T09:40:00"),
        _p("雨の日は蔦屋書店で絵本えらび", "柏の葉 T-SITE の絵本コーナーで、子どもたちが一冊ずつ選びました。",
           "絵本 雨の日", "2026-08-02T17:00:00"),
        _p("図書館のおはなし会に参加", "地域の図書館のおはなし会。手遊びうたを家でもまねしています。",
           "絵本", "2026-08-23T16:15:00"),
        _p("夏祭りと盆踊り in 柏の葉", "駅前の夏祭り。はじめての浴衣で盆踊りの輪に入れました。",
           "イベント", "2026-09-06T21:30:00"),
        _p("アクアテラスで夕焼けさんぽ", "調整池のまわりを夕方にさんぽ。ベビーカーでも歩きやすい道です。",
           "さんぽ", "2026-10-18T19:00:00"),
        _p("下の子の離乳食まとめ（下書き）", "後期の離乳食で作ったものを写真と一緒にまとめる予定。",
           "離乳食", "2026-11-10T22:40:00", "DRAFT"),
        _p("冬休みの過ごし方プラン", "冬休みに柏の葉で行けるところを、屋内と屋外に分けて紹介します。",
           "イベント 冬休み", "2026-12-20T08:00:00", "SCHEDULED"),
    ),
    comments=20,
    channels=(
        ("こどもの食卓レシピ", "幼児食と取り分けレシピを毎週お届けします。"),
        ("柏市公式チャンネル", "柏市からのお知らせと市内の話題。"),
        ("親子でおうち体操", "雨の日でもできる親子の体操。"),
        ("はじめての絵本よみきかせ", "読み聞かせのコツと季節の絵本。"),
        ("週末おでかけ千葉", "千葉県内の子連れおでかけスポット。"),
        ("ベビーサイン入門", "話す前の赤ちゃんとのコミュニケーション。"),
        ("科学あそびラボ", "家にあるものでできる実験あそび。"),
        ("保育士さんの手あそびうた", "保育園で人気の手あそびうた。"),
    ),
    history=40,
)

TARO = BlogSeed(
    name="若柴パパの週末ノート",
    description="若柴に住む父親の、週末の子どもとの過ごし方メモ。",
    host="wakashiba-papa",
    since="2025-09-01T09:00:00",
    posts=(
        _p("はじめての自転車練習",
           "柏の葉公園の広場で、補助輪なしの練習をはじめました。", "自転車 公園", "2026-05-03T19:00:00"),
        _p("柏の葉キャンパス駅からの電車おでかけ",
           "つくばエクスプレスで秋葉原まで。車両を見るだけで大満足。", "おでかけ", "2026-07-12T20:00:00"),
        _p("運動会の場所取りメモ（下書き）", "来年のためのメモ。", "運動会", "2026-10-11T21:00:00", "DRAFT"),
    ),
    comments=4,
    channels=(("週末おでかけ千葉", "千葉県内の子連れおでかけスポット。"),
              ("鉄道ファミリーチャンネル", "親子で楽しむ電車の動画。"),
              ("柏市公式チャンネル", "柏市からのお知らせと市内の話題。")),
    history=12,
)

EMILY = BlogSeed(
    name="Emily の柏の葉ぐらし",
    description="柏の葉に住んで3年目。日本の子育てで知ったことを日本語で書いています。",
    host="emily-kashiwanoha",
    since="2025-04-01T09:00:00",
    posts=(
        _p("日本の保育園の持ち物リスト", "はじめての入園準備。名前つけが大変でした。", "保育園", "2026-03-30T21:00:00"),
        _p("英語の絵本を図書館で", "図書館の外国語絵本コーナーを紹介します。", "絵本", "2026-06-14T16:00:00"),
        _p("ハロウィンのパレード", "駅前のハロウィンイベントに家族で参加しました。", "イベント", "2026-10-31T20:00:00"),
        _p("冬の予防接種メモ", "インフルエンザ予防接種の予約方法。", "健康", "2026-12-05T08:00:00", "SCHEDULED"),
    ),
    comments=5,
    channels=(("はじめての絵本よみきかせ", "読み聞かせのコツと季節の絵本。"),
              ("Bilingual Kids Songs", "英語と日本語のこどもの歌。"),
              ("こどもの食卓レシピ", "幼児食と取り分けレシピを毎週お届けします。"),
              ("科学あそびラボ", "家にあるものでできる実験あそび。")),
    history=15,
)

SEEDS: dict[str, BlogSeed] = {"hanako@example.jp": HANAKO, "taro@example.jp": TARO, "emily@example.jp": EMILY}

COMMENT_TEXTS = (
    "うちもよく行きます！参考になりました。", "駐車場の情報もありがたいです。", "写真がかわいいですね。",
    "来月行ってみます。", "同じ園を見学しました。雰囲気よかったです。", "一時預かりの予約、わかりやすかったです。",
    "雨の日の過ごし方、助かります。", "次の記事も楽しみにしています。", "うちの子も虫が大好きです。",
    "絵本のタイトルを教えてください！",
)
COMMENTERS = ("ゆうママ", "そらパパ", "みどり", "柏の葉ママ会", "あおいのママ", "けんたろう")
VIDEO_TOPICS = ("10分でできる朝ごはん", "今日のおしらせ", "親子ストレッチ", "冬の絵本5選", "雨の日のおでかけ先",
                "はじめてのサイン", "ペットボトル実験", "ぞうさんの手あそび", "秋の公園めぐり", "取り分けカレー")


def blogger_user(login_id: str, display_name: str) -> dict[str, object]:
    user_id = stable_digits(login_id, "user", length=21)
    return {"kind": "blogger#user", "id": user_id, "displayName": display_name,
            "url": f"https://www.blogger.com/profile/{user_id}", "locale": {"language": "ja", "country": "JP"}}


def blog(login_id: str) -> dict[str, object]:
    seed = SEEDS[login_id]
    posts = [post for post in seed.posts if post.status == "LIVE"]
    return {"kind": "blogger#blog", "id": stable_digits(login_id, "blog"), "name": seed.name,
            "description": seed.description, "url": f"https://{seed.host}.blogspot.com/",
            "published": rfc3339_jst(jst(seed.since)), "updated": rfc3339_jst(jst(posts[-1].published))}


def posts(login_id: str, display_name: str) -> list[dict[str, object]]:
    """Newest first, as Blogger lists them."""
    seed, blog_id = SEEDS[login_id], stable_digits(login_id, "blog")
    author = {"id": stable_digits(login_id, "user", length=21), "displayName": display_name}
    items = []
    for index, post in enumerate(seed.posts):
        published = jst(post.published)
        slug = f"{published:%Y/%m}/post-{index + 1:02d}.html"
        items.append({
            "kind": "blogger#post", "id": stable_digits(login_id, "post", index), "blog": {"id": blog_id},
            "published": rfc3339_jst(published), "updated": rfc3339_jst(published + timedelta(hours=index % 3)),
            "url": f"https://{seed.host}.blogspot.com/{slug}", "title": post.title,
            "content": f"<p>{post.body}</p>", "labels": list(post.labels), "author": author, "status": post.status,
        })
    return sorted(items, key=lambda item: str(item["published"]), reverse=True)


def comments(login_id: str, display_name: str) -> list[dict[str, object]]:
    """Comments on the live posts, oldest first; the second one is the author's reply to the first."""
    seed, blog_id = SEEDS[login_id], stable_digits(login_id, "blog")
    live = [(index, post) for index, post in enumerate(seed.posts) if post.status == "LIVE"]
    items: list[dict[str, object]] = []
    for number in range(seed.comments):
        index, post = live[(number // 2) % len(live)]
        at = jst(post.published) + timedelta(hours=3 + 5 * number)
        comment: dict[str, object] = {
            "kind": "blogger#comment", "id": stable_digits(login_id, "comment", number),
            "post": {"id": stable_digits(login_id, "post", index)}, "blog": {"id": blog_id},
            "published": rfc3339_jst(at), "updated": rfc3339_jst(at),
            "content": COMMENT_TEXTS[number % len(COMMENT_TEXTS)],
            "author": {"displayName": COMMENTERS[number % len(COMMENTERS)]}, "status": "LIVE",
        }
        if number == 1:
            comment["content"] = "ありがとうございます！また記事にしますね。"
            comment["author"] = {"displayName": display_name}
            comment["inReplyTo"] = {"id": items[0]["id"]}
        items.append(comment)
    return items


def _channel_id(title: str) -> str:
    return "UC" + stable_token("channel", title)


def subscriptions(login_id: str) -> list[dict[str, object]]:
    seed = SEEDS[login_id]
    since = jst(seed.since)
    return [
        {"kind": "youtube#subscription", "id": stable_token(login_id, "subscription", index, length=43),
         "snippet": {"title": title, "description": description,
                     "publishedAt": rfc3339_z(since + timedelta(days=23 * index, hours=index)),
                     "resourceId": {"kind": "youtube#channel", "channelId": _channel_id(title)}}}
        for index, (title, description) in enumerate(seed.channels)
    ]


def watch_history(login_id: str) -> list[dict[str, object]]:
    """Takeout's watch-history entries, newest first, every 14 hours back from 2026-11-25 20:00 JST."""
    seed = SEEDS[login_id]
    newest = jst("2026-11-25T20:00:00")
    items = []
    for number in range(seed.history):
        channel = seed.channels[number % len(seed.channels)][0]
        topic = VIDEO_TOPICS[(number * 3 + len(login_id)) % len(VIDEO_TOPICS)]
        video = stable_token(login_id, "video", number, length=11)
        items.append({
            "kind": "youtube#watchHistoryEntry", "id": stable_token(login_id, "watch", number, length=16),
            "header": "YouTube", "title": f"【{channel}】{topic} を視聴しました",
            "titleUrl": f"https://www.youtube.com/watch?v={video}",
            "subtitles": [{"name": channel, "url": f"https://www.youtube.com/channel/{_channel_id(channel)}"}],
            "time": rfc3339_z(newest - timedelta(hours=14 * number, minutes=7 * (number % 5))),
            "products": ["YouTube"],
        })
    return items
