% rebase('layout')
<table id="campaigns">
  <tr><th>{{_('Name')}}</th><th>{{_('Category')}}</th><th>{{_('Group')}}</th><th>{{_('Created')}}</th><th>{{_('By')}}</th>
      <th class="num">{{_('Queued')}}</th><th class="num">{{_('Skipped')}}</th><th>{{_('Progress')}}</th></tr>
  % for c in rows:
  % b = bars[c.id]
  <tr><td>{{c.name}}</td><td>{{_(c.category)}}</td><td>{{c.group.name if c.group_id else ''}}</td>
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
      </td></tr>
  % end
</table>
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('Older')}} →</a></p>
% end
% if ctx.can('campaigns'):
<form method="post" action="/campaigns" class="card" id="campaign-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <div class="row">
    <label>{{_('Name')}}<input name="name" required></label>
    <label>{{_('Group')}}<select name="group">
      % for g in groups:
      <option value="{{g.id}}">{{g.name}}</option>
      % end
    </select></label>
    <label>{{_('Template')}}<select name="template"><option value="">{{_('(own text)')}}</option>
      % for key in template_keys:
      <option value="{{key}}">{{key}}</option>
      % end
    </select></label>
    <label>{{_('Category')}}<select name="category"><option value="">{{_('(as before)')}}</option>
      % for c in categories:
      <option value="{{c}}">{{_(c)}}</option>
      % end
    </select></label>
    <label>{{_('Department')}}<input name="department"></label>
  </div>
  <label>{{_('Text')}}<textarea name="text" rows="3"></textarea></label>
  <button type="submit">{{_('Send campaign')}}</button>
</form>
% end
