% rebase('layout')
% if ctx.can('send'):
<p><a class="button" href="/send?mode=group" id="campaign-new">{{_('Send campaign')}}</a></p>
% end
<div class="table-scroll">
<table id="campaigns">
  <tr><th>{{_('Name')}}</th><th>{{_('Category')}}</th><th>{{_('Group')}}</th><th>{{_('Created')}}</th><th>{{_('By')}}</th>
      <th class="num">{{_('Queued')}}</th><th class="num">{{_('Skipped')}}</th><th>{{_('Progress')}}</th><th></th></tr>
  % for c in rows:
  % b = bars[c.id]
  % state = states[c.id]
  <tr id="campaign-{{c.id}}"><td>{{c.name}}</td><td>{{_(c.category)}}
      % if c.channel != 'sms':
      <br><span class="meta campaign-channel">{{_(channel_labels[c.channel])}}</span>
      % end
      </td><td>{{c.group.name if c.group_id else ''}}</td>
      <td class="muted">{{ctx.when(c.created_at, '%Y-%m-%d %H:%M')}}</td><td>{{c.created_by}}</td>
      <td class="num">{{c.queued}}</td><td class="num">{{c.skipped}}</td>
      <td class="progress">
        <svg class="progress-bar" width="160" height="12" viewBox="0 0 100 12" preserveAspectRatio="none" role="img" aria-label="{{_('Sent')}} {{b['sent']}}, {{_('Delivered')}} {{b['delivered']}}, {{_('Failed')}} {{b['failed']}} / {{b['total']}}">
          <rect x="0" y="0" width="100" height="12" class="bar-rest"/>
          % x = 0
          % for kind, width in b['segments']:
          <rect x="{{x}}" y="0" width="{{width}}" height="12" class="bar-{{kind}}"/>
          % x += width
          % end
        </svg>
        <span class="meta">{{_('Sent')}} {{b['sent']}} · {{_('Delivered')}} {{b['delivered']}} · {{_('Failed')}} {{b['failed']}} / {{b['total']}}</span>
        % if c.id in mails:
        <span class="meta campaign-mails">{{_('E-mails accepted by the mail server: {done} / {total}').format(done=mails[c.id][0], total=mails[c.id][1])}}</span>
        % end
        % if state:
        <span class="meta campaign-state" data-state="{{state}}">{{_(state_labels[state])}}</span>
        % end
      </td>
      <td class="actions">
        % if state and ctx.can('campaigns'):
        <form method="post" action="/campaigns/{{c.id}}/{{'resume' if state == 'paused' else 'pause'}}" class="inline">
          <input type="hidden" name="csrf" value="{{ctx.csrf}}">
          <button type="submit" class="secondary" id="campaign-{{c.id}}-{{'resume' if state == 'paused' else 'pause'}}">{{_('Resume') if state == 'paused' else _('Pause')}}</button>
        </form>
        <a class="button danger" href="/campaigns/{{c.id}}/cancel" id="campaign-{{c.id}}-cancel">{{_('Cancel campaign')}}</a>
        % end
      </td></tr>
  % end
</table>
</div>
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('Older')}} →</a></p>
% end
