"""Microsoft Graph through msgraph-sdk: the bot's outside world, each part behind a small Protocol
(graph/service.py: MeetingSource, DocumentStore, MailSender, and the errors users see).

- ``client``, ``credentials``: one GraphServiceClient per process, with the credential the settings ask for
- ``meetings`` (with the pure ``meeting_rules``): the user's meetings and their transcripts
- ``chat_meetings``: the same with chat-scoped RSC consent only (the meetings of chats with the app)
- ``documents``: drafts into a SharePoint library; ``mail``: the summary email
- ``subscriptions``: the transcript change-notification subscription
- ``failures``: Graph's errors mapped to ours

``graph/emulator/`` is a dev tool (a local Graph) that nothing here imports; the image leaves it out.
"""
