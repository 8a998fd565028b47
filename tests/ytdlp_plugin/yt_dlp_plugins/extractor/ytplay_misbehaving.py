"""A yt-dlp extractor plugin made for ytplay's tests, which misbehaves on command.

It takes URLs of a test-only host on loopback, `http://127.0.0.1:<port>/ytplay-test/<cmd>/<id>`,
where a test's server (tests/misbehaving_site.py) answers. It fetches that page first (so
the server counts every resolve; flat look-ups say so and are not counted), then does what
`<cmd>` says:

  private, geo, login, unavailable   raise as the real extractors do for those
  ok                                 a WAV stream at /media/<id>.wav?client=<player_client>
                                     (`extractor_args` {"ytplaymisbehaving": {"player_client":
                                     [...]}}, "android" by default): the server refuses
                                     clients it was not told to accept with 403

A network failure is the server's to provoke: it answers the page 503 as often as told.
Loaded by putting tests/ytdlp_plugin on sys.path (yt-dlp looks for `yt_dlp_plugins` there).
"""

from yt_dlp.extractor.common import InfoExtractor
from yt_dlp.utils import ExtractorError


class YtplayMisbehavingIE(InfoExtractor):
    IE_NAME = "ytplay-misbehaving"
    _VALID_URL = r"https?://127\.0\.0\.1:(?P<port>\d+)/ytplay-test/(?P<cmd>[a-z]+)/(?P<id>\w+)"
    _GEO_BYPASS = False  # as YouTube's: no second try with a made-up address

    def _real_extract(self, url):
        cmd, video_id, port = self._match_valid_url(url).group("cmd", "id", "port")
        # A flat look-up (ytplay's queue adding an item) is told apart, so the server
        # counts resolves only.
        flat = "?flat=1" if self.get_param("extract_flat") else ""
        page = self._download_json(url + flat, video_id)
        if cmd == "private":
            raise ExtractorError("Private video. Sign in if you've been granted access to "
                                 "this video", expected=True, video_id=video_id)
        if cmd == "geo":
            self.raise_geo_restricted(countries=["NZ"])
        if cmd == "login":
            self.raise_login_required("Sign in to confirm your age. This video may be "
                                      "inappropriate for some users")
        if cmd == "unavailable":
            raise ExtractorError("Video unavailable. This video has been removed by the "
                                 "uploader", expected=True, video_id=video_id)
        client = self._configuration_arg("player_client", ["android"])[0]
        return {
            "id": video_id,
            "title": page["title"],
            "duration": page["duration"],
            "url": f"http://127.0.0.1:{port}/media/{video_id}.wav?client={client}",
            "ext": "wav",
            "vcodec": "none",
        }
