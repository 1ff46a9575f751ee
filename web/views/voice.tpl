% rebase('layout')
% if error:
<p class="flash error" id="voice-error">{{error}}</p>
% end
<div class="table-scroll">
<table id="voice-campaigns" data-live="/voice.json?ids={{','.join(str(r['id']) for r in rows)}}">
  <tr><th>{{_('Name')}}</th><th>{{_('Kind')}}</th><th>{{_('State')}}</th><th class="num">{{_('Number count')}}</th>
      <th>{{_('Progress')}}</th><th class="num">{{_('Answered')}}</th><th class="num">{{_('Answer rate')}}</th>
      <th class="num">{{_('Confirmation rate')}}</th><th>{{_('Created')}}</th></tr>
  % for r in rows:
  % v = live[r['id']]
  <tr data-campaign="{{r['id']}}">
    <td><a href="/voice/{{r['id']}}">{{r['name']}}</a></td>
    <td>{{_(kind_labels[r['kind']])}}</td>
    <td><span class="state {{r['state']}}" data-field="state">{{v['state']}}</span></td>
    <td class="num">{{v['attempts']}}</td>
    <td><progress max="100" value="{{v['progress']}}" data-field="progress">{{v['progress']}}%</progress>
        <span class="meta"><span data-field="done">{{v['done']}}</span> / {{v['attempts']}}</span></td>
    <td class="num" data-field="answered">{{v['answered']}}</td>
    <td class="num" data-field="answer_rate">{{v['answer_rate']}}</td>
    <td class="num" data-field="confirmation_rate">{{v['confirmation_rate']}}</td>
    <td class="muted">{{ctx.when(r['created_at'], '%Y-%m-%d %H:%M')}}</td>
  </tr>
  % end
</table>
</div>
% if not rows:
<p class="muted">{{_('No voice campaigns yet.')}}</p>
% end
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('Older')}} →</a></p>
% end
% if ctx.can('campaigns'):
<h2>{{_('Create a voice campaign')}}</h2>
<form method="post" action="/voice/confirm" enctype="multipart/form-data" class="card" id="voice-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <div class="row">
    <label>{{_('Name')}}<input name="name" id="voice-name" required maxlength="100" value="{{values.get('name', '')}}"></label>
    <label>{{_('Kind')}}<select name="kind" id="voice-kind">
      % for k in kinds:
      <option value="{{k}}" {{'selected' if values.get('kind') == k else ''}}>{{_(kind_labels[k])}}</option>
      % end
    </select></label>
    <label>{{_('Numbers from')}}<select name="source" id="voice-source">
      <option value="list" {{'selected' if values.get('source', 'list') == 'list' else ''}}>{{_('A pasted list')}}</option>
      <option value="group" {{'selected' if values.get('source') == 'group' else ''}}>{{_('A group')}}</option>
      <option value="file" {{'selected' if values.get('source') == 'file' else ''}}>{{_('A file (CSV or XLSX)')}}</option>
    </select></label>
  </div>
  <label>{{_('Numbers (separated by commas, spaces or new lines)')}}
    <textarea name="numbers" id="voice-numbers" rows="3">{{values.get('numbers', '')}}</textarea></label>
  <div class="row">
    <label>{{_('Group')}}<select name="group" id="voice-group"><option value="">—</option>
      % for g in groups:
      <option value="{{g.id}}" {{'selected' if values.get('group') == str(g.id) else ''}}>{{g.name}}</option>
      % end
    </select></label>
    <label>{{_('File: a column of numbers (手机号) or customers (客户号)')}}<input type="file" name="file" id="voice-file" accept=".csv,.xlsx,.txt"></label>
  </div>
  <div class="row">
    <label>{{_('Notice type (a voice notice only; empty: the text below)')}}<select name="notice_type" id="voice-notice-type">
      <option value="">{{_('(own text)')}}</option>
      % for key, type_name in notice_types:
      <option value="{{key}}" {{'selected' if values.get('notice_type') == key else ''}}>{{type_name}}</option>
      % end
    </select></label>
  </div>
  <label>{{_('Survey questions (JSON; a phone survey only)')}}
    <textarea name="script" id="voice-script" rows="3" placeholder='[{"text": "您对本次服务满意吗？", "type": "scale"}]'>{{values.get('script', '')}}</textarea></label>
  <label>{{_('Text spoken to whoever answers')}}<textarea name="text" id="voice-text" rows="3" maxlength="2000">{{values.get('text', '')}}</textarea></label>
  <div class="row">
    <label>{{_('Calling window (empty: the default)')}}<input name="window" id="voice-window" value="{{values.get('window', '')}}" placeholder="workday 18:30-20:30; restday 09:00-12:00,15:00-21:00"></label>
    <label>{{_('Calls per number')}}<input name="max_tries" id="voice-tries" type="number" min="1" max="10" value="{{values.get('max_tries', '')}}" placeholder="3"></label>
    <label>{{_('Minutes between tries')}}<input name="retry_minutes" id="voice-retry" type="number" min="1" max="1440" value="{{values.get('retry_minutes', '')}}" placeholder="30"></label>
    <label>{{_('Line group')}}<input name="line_group" id="voice-line-group" value="{{values.get('line_group', '') or 'default'}}"></label>
  </div>
  <button type="submit" id="voice-next">{{_('Next: check')}}</button>
</form>
% end
<script src="/static/voice.js"></script>
