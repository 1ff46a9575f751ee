"""The IVR prompts page against a real server: listen, upload (converted with
sox and checked), refuse bad audio, restore the default; audited; CSRF and
session required; only catalogue names reach the file system."""
import http.client
import io
import math
import struct
import subprocess
import uuid
import wave

import pytest
from web_support import Client, make_user

from appliance.ivr import prompt_files
from appliance.models import AuditLog


def tone_wav(rate=16000, channels=2, seconds=1.0, amplitude=0.5, frequency=440):
    """A sine tone as WAV bytes (written with the wave module, not sox)."""
    frames = bytearray()
    for i in range(int(rate * seconds)):
        sample = int(amplitude * 32767 * math.sin(2 * math.pi * frequency * i / rate))
        frames += struct.pack("<h", sample) * channels
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(bytes(frames))
    return out.getvalue()


def multipart(fields, files):
    """(body, content type) of a multipart/form-data request as a browser sends it."""
    boundary = uuid.uuid4().hex
    body = bytearray()
    for name, value in fields.items():
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n').encode()
    for name, (filename, data) in files.items():
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                 f'Content-Type: application/octet-stream\r\n\r\n').encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


def upload(client, name, lang, filename, data, csrf="page", headers=None, **fields):
    """csrf: "page" sends the page's token as the form field, None none, else that text."""
    if csrf:
        fields["csrf"] = client.csrf if csrf == "page" else csrf
    body, content_type = multipart(fields, {"file": (filename, data)})
    return client.request("POST", f"/prompts/{name}/{lang}", body,
                          {"Content-Type": content_type, **(headers or {})})


@pytest.fixture
def defaults(web_config, web_db):
    """Default prompt files for a few names (a tone made with sox stands in for
    espeak-ng's speech, which the IVR tests cover)."""
    for name in ("welcome", "goodbye", "menu_main"):
        for language in ("zh", "en"):
            path = prompt_files.default_path(web_config, name, language)
            path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path),
                            "synth", "0.5", "sine", "300" if language == "zh" else "600"], check=True)
    return web_config


def custom(config, name="welcome", lang="zh"):
    return prompt_files.custom_path(config, name, lang)


def get_bytes(client, path, headers=None):
    """(response, body bytes): the Client decodes bodies as text, audio needs bytes."""
    conn = http.client.HTTPConnection(client.host, client.port, timeout=30)
    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    conn.request("GET", path, headers={"Cookie": cookies, **(headers or {})})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def flash_of(client, path):
    html = client.page(path).text
    start = html.find('class="flash')
    return html[start:html.find("</p>", start)] if start >= 0 else ""


def test_list_shows_every_prompt_with_its_texts_state_and_player(admin_client, defaults):
    html = admin_client.page("/prompts").text
    for name, entry in prompt_files.catalogue().items():
        if not entry.get("dynamic"):
            assert f'href="/prompts/{name}"' in html, name
    assert "greet_name" not in html  # dynamic templates are not files an admin replaces
    welcome = html[html.find('id="prompt-welcome"'):html.find("</tr>", html.find('id="prompt-welcome"'))]
    assert prompt_files.fill(prompt_files.catalogue()["welcome"]["zh"], defaults) in welcome  # company filled in
    assert "Welcome to" in welcome and "默认（自动生成）" in welcome
    assert '<audio controls preload="none" src="/prompts/welcome/zh.wav?v=' in welcome
    no_file = html[html.find('id="prompt-invalid_input"'):]
    assert "缺失" in no_file[:no_file.find("</tr>")]  # not built: says so, no player
    missing = no_file[:no_file.find("</tr>")]  # and what an admin can do about it: upload or record one
    assert 'href="/prompts/invalid_input#prompt-' in missing and 'class="prompt-fix">上传或录制</a>' in missing
    assert "语音提示音" in html and 'href="/prompts"' in html  # in the menu
    found = admin_client.page("/prompts?q=goodbye").text
    assert 'href="/prompts/goodbye"' in found and 'href="/prompts/welcome"' not in found


def test_listen_streams_the_wav_and_refuses_anything_else(admin_client, defaults, server, web_db):
    html = admin_client.page("/prompts/welcome").text
    src = html[html.find('src="/prompts/welcome/zh.wav') + 5:]
    src = src[:src.find('"')].replace("&amp;", "&")
    resp, body = get_bytes(admin_client, src)
    assert resp.status == 200 and resp.getheader("Content-Type").startswith("audio/wav")
    assert body == prompt_files.default_path(defaults, "welcome", "zh").read_bytes()
    with wave.open(io.BytesIO(body)) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
    resp, body = get_bytes(admin_client, src, {"Range": "bytes=0-11"})  # players seek with ranges
    assert resp.status == 206 and body == b"RIFF" + body[4:8] + b"WAVE"
    for path in ("/prompts/no_such/zh.wav", "/prompts/welcome/fr.wav", "/prompts/greet_name/zh.wav",
                 "/prompts/..%2F..%2Fappliance.db/zh.wav", "/prompts/%2E%2E/zh.wav",
                 "/prompts/%2E%2E%2F%2E%2E%2Fappliance/zh.wav", "/prompts/invalid_input/zh.wav"):
        resp, body = get_bytes(admin_client, path)
        assert resp.status == 404 and not resp.getheader("Content-Type", "").startswith("audio/"), path
        assert not body.startswith(b"RIFF") and b"SQLite" not in body
    assert admin_client.get("/prompts/..%2Fprompts").status == 404
    anonymous = Client(server).get("/prompts/welcome/zh.wav")
    assert anonymous.status == 303 and anonymous.getheader("Location").startswith("/signin")
    make_user("olga", "operator")
    operator = Client(server)
    operator.sign_in("olga")
    assert operator.get("/prompts/welcome/zh.wav").status == 403
    assert operator.get("/prompts").status == 403


def read_wav(path):
    with wave.open(str(path)) as audio:
        return audio.getframerate(), audio.getnchannels(), audio.getsampwidth(), audio.getnframes()


def test_upload_converts_to_8khz_mono_and_is_audited(admin_client, defaults):
    admin_client.page("/prompts/welcome")
    resp = upload(admin_client, "welcome", "zh", "欢迎词.wav", tone_wav(16000, 2, 1.5))
    assert resp.status == 303 and resp.getheader("Location") == "/prompts/welcome"
    rate, channels, width, frames = read_wav(custom(defaults))
    assert (rate, channels, width) == (8000, 1, 2) and abs(frames - 12000) < 100
    assert "提示音已替换（1.5 秒）" in flash_of(admin_client, "/prompts/welcome")
    row = AuditLog.get(AuditLog.action == "prompt.upload")
    assert (row.actor, row.target, row.source) == ("root", "prompt:welcome/zh", "127.0.0.1")
    assert "欢迎词.wav" in row.detail and "1.5 s" in row.detail and "default" in row.detail
    html = admin_client.page("/prompts/welcome").text
    assert "已由管理员替换" in html and 'src="/prompts/welcome/zh.wav?default=1&amp;v=' in html
    # The player now streams the replacement; ?default=1 still gives the default.
    assert int(admin_client.get("/prompts/welcome/zh.wav").getheader("Content-Length")) == \
        custom(defaults).stat().st_size
    assert int(admin_client.get("/prompts/welcome/zh.wav?default=1").getheader("Content-Length")) == \
        prompt_files.default_path(defaults, "welcome", "zh").stat().st_size
    assert not custom(defaults, lang="en").exists()  # only the language asked for


@pytest.mark.parametrize("filename,data,message", [
    ("notes.txt", b"this is not audio at all", "文件：notes.txt 不是可识别的声音文件"),
    ("fake.wav", b"RIFF\x00\x00\x00\x00WAVEjunkjunk", "文件：fake.wav 不是可识别的声音文件"),
    ("quiet.wav", tone_wav(amplitude=0.0), "文件：quiet.wav 没有声音"),
    ("click.wav", tone_wav(seconds=0.05), "文件：click.wav 太短"),
])
def test_bad_audio_is_a_one_line_error_and_keeps_the_previous_file(admin_client, defaults, filename, data, message):
    admin_client.page("/prompts/goodbye")
    assert upload(admin_client, "goodbye", "zh", "good.wav", tone_wav()).status == 303
    before = custom(defaults, "goodbye").read_bytes()
    flash_of(admin_client, "/prompts/goodbye")
    resp = upload(admin_client, "goodbye", "zh", filename, data)
    assert resp.status == 303
    flash = flash_of(admin_client, "/prompts/goodbye")
    assert "flash error" in flash and message in flash, flash
    assert "\n" not in flash and "/tmp" not in flash  # one line, no server path
    assert custom(defaults, "goodbye").read_bytes() == before
    assert AuditLog.select().where(AuditLog.action == "prompt.upload.refused",
                                   AuditLog.target == "prompt:goodbye/zh").count() == 1
    assert not list(custom(defaults, "goodbye").parent.glob("tmp*"))  # no leftovers


def test_upload_without_a_file_or_too_big_or_unknown_prompt(admin_client, defaults, monkeypatch):
    admin_client.page("/prompts/welcome")
    resp = admin_client.post("/prompts/welcome/zh", {})
    assert resp.status == 303
    assert "文件：请选择声音文件" in flash_of(admin_client, "/prompts/welcome")
    import web.pages.prompts
    monkeypatch.setattr(web.pages.prompts, "MAX_UPLOAD", 4000)  # the server runs in this process
    assert upload(admin_client, "welcome", "zh", "long.wav", tone_wav()).status == 303
    assert "文件：文件超过" in flash_of(admin_client, "/prompts/welcome")
    assert not custom(defaults).exists()
    monkeypatch.undo()
    assert upload(admin_client, "no_such", "zh", "a.wav", tone_wav()).status == 303
    assert "未知的语音提示" in flash_of(admin_client, "/prompts")
    assert upload(admin_client, "welcome", "fr", "a.wav", tone_wav()).status == 303
    assert "语言：应为 zh（中文）或 en（英文）" in flash_of(admin_client, "/prompts")
    assert not list((defaults.data_dir / "prompts").rglob("custom/*/*.wav"))
    assert admin_client.get("/prompts/no_such").status == 404


def test_restore_default_removes_the_replacement(admin_client, defaults):
    admin_client.page("/prompts/menu_main")
    assert upload(admin_client, "menu_main", "en", "menu.wav", tone_wav()).status == 303
    assert custom(defaults, "menu_main", "en").exists()
    admin_client.page("/prompts/menu_main")
    resp = admin_client.post("/prompts/menu_main/en/restore", {"confirmed": "1"})  # asked first: test_web_confirmations
    assert resp.status == 303 and not custom(defaults, "menu_main", "en").exists()
    assert prompt_files.default_path(defaults, "menu_main", "en").exists()  # the default is kept
    html = admin_client.page("/prompts/menu_main").text
    assert "已恢复播放默认提示音" in html and "已由管理员替换" not in html
    row = AuditLog.get(AuditLog.action == "prompt.restore")
    assert (row.actor, row.target) == ("root", "prompt:menu_main/en")
    admin_client.post("/prompts/menu_main/en/restore", {"confirmed": "1"})
    assert "没有被替换过" in flash_of(admin_client, "/prompts/menu_main")
    assert AuditLog.select().where(AuditLog.action == "prompt.restore").count() == 1


def test_posts_need_the_csrf_token_and_the_browser_recorder_sends_it_as_a_header(admin_client, defaults):
    admin_client.page("/prompts/welcome")
    resp = upload(admin_client, "welcome", "zh", "a.wav", tone_wav(), csrf=None)
    assert resp.status == 403 and not custom(defaults).exists()
    resp = upload(admin_client, "welcome", "zh", "a.wav", tone_wav(), csrf="forged")
    assert resp.status == 403
    resp = admin_client.post("/prompts/welcome/zh/restore", csrf=False)
    assert resp.status == 403
    assert AuditLog.select().where(AuditLog.action.startswith("prompt.")).count() == 0
    # What web/static/prompts.js sends: a WAV at the browser's rate, the token in X-CSRF-Token.
    resp = upload(admin_client, "welcome", "zh", "recording.wav", tone_wav(48000, 1, 2.0), csrf=None,
                  headers={"X-CSRF-Token": admin_client.csrf, "Origin": f"http://{admin_client.host}:{admin_client.port}"},
                  source="browser")
    assert resp.status == 303
    assert read_wav(custom(defaults))[:3] == (8000, 1, 2)
    row = AuditLog.get(AuditLog.action == "prompt.browser")
    assert row.actor == "root" and "recorded in the browser" in row.detail
    # A cross-site page cannot post with a stolen token either.
    resp = upload(admin_client, "welcome", "zh", "x.wav", tone_wav(), headers={"Origin": "http://evil.example"})
    assert resp.status == 403


def test_page_shows_the_recorder_and_the_box_command_without_inline_script(admin_client, defaults):
    html = admin_client.page("/prompts/welcome").text
    assert '<script src="/static/prompts.js"></script>' in html
    assert "<script>" not in html and "onclick" not in html
    assert 'class="recorder row" id="recorder-zh" data-action="/prompts/welcome/zh"' in html
    assert f'data-csrf="{admin_client.csrf}"' in html
    assert "appliance prompts record welcome --lang en" in html
    assert admin_client.get("/static/prompts.js").status == 200
    en_only = admin_client.page("/prompts/n_10000").text  # a Mandarin-only building block
    assert 'id="recorder-zh"' in en_only and 'id="recorder-en"' not in en_only
