% rebase('layout')
% if error:
<p class="flash error" id="voice-error">{{error}}</p>
% end
<section class="card" id="voice-summary" data-live="/voice/{{report['id']}}.json" data-campaign="{{report['id']}}">
  <p>{{label(report['kind'])}} · <span class="state {{report['state']}}" data-field="state">{{live['state']}}</span>
     · {{_('Created')}} {{ctx.when(report['created_at'], '%Y-%m-%d %H:%M')}} {{report['created_by']}}</p>
  % if report['text']:
  <div class="preview">{{report['text']}}</div>
  % end
  <p><progress max="100" value="{{live['progress']}}" data-field="progress">{{live['progress']}}%</progress>
     <span class="meta">{{_('Called')}} <b data-field="done">{{live['done']}}</b> / {{live['attempts']}} ·
     {{_('Waiting to call')}} <span data-field="queued">{{live['queued']}}</span> ·
     {{_('Calling now')}} <span data-field="dialling">{{live['dialling']}}</span></span></p>
  <div class="grid">
    <div class="stat"><b data-field="answer_rate">{{live['answer_rate']}}</b><span>{{_('Answer rate')}}</span></div>
    <div class="stat"><b data-field="confirmation_rate">{{live['confirmation_rate']}}</b><span>{{_('Confirmation rate')}}</span></div>
    <div class="stat"><b data-field="answered">{{live['answered']}}</b><span>{{_('Answered')}}</span></div>
  </div>
  <table class="narrow" id="voice-counts">
    % for r in results:
    <tr><th>{{label(r)}}</th><td class="num" data-field="result_{{r}}">{{report['results'][r]}}</td></tr>
    % end
  </table>
  % if ctx.can('campaigns') and allowed:
  <div class="actions" id="voice-actions">
    % for action in allowed:
    % if action == 'cancel':
    <a class="button danger" href="/voice/{{report['id']}}/cancel" id="voice-cancel">{{_(actions[action])}}</a>
    % else:
    <form method="post" action="/voice/{{report['id']}}/{{action}}">
      <input type="hidden" name="csrf" value="{{ctx.csrf}}">
      <button type="submit" id="voice-{{action}}">{{_(actions[action])}}</button>
    </form>
    % end
    % end
  </div>
  % end
</section>
% if tallies:
<h2>{{_('Answers per question')}}</h2>
<div class="table-scroll">
<table id="voice-tallies">
  <tr><th>{{_('Question')}}</th><th>{{_('Answer')}}</th><th class="num">{{_('Count')}}</th><th class="num">{{_('Average')}}</th></tr>
  % for t in tallies:
  % for answer, count in t['counts'].items():
  <tr><td>{{t['question'] + 1}}. {{t['text']}}</td><td>{{answer_word(answer)}}</td><td class="num">{{count}}</td>
      <td class="num">{{'' if t['average'] is None else t['average']}}</td></tr>
  % end
  % end
</table>
</div>
<p><a href="/voice/{{report['id']}}/tallies.csv" id="voice-tallies-csv">{{_('Export CSV')}}</a>
% if not ctx.masks('mobile'):
 · <a href="/voice/{{report['id']}}/answers.csv" id="voice-answers-csv">{{_('Answers of every call (CSV)')}}</a>
% end
</p>
% end
<h2>{{_('Calls')}}</h2>
<form method="get" action="/voice/{{report['id']}}" class="card row" id="voice-filter">
  <label>{{_('Result')}}<select name="result" id="filter-result"><option value="">{{_('all')}}</option>
    % for r in results:
    <option value="{{r}}" {{'selected' if filters['result'] == r else ''}}>{{label(r)}}</option>
    % end
  </select></label>
  <label>{{_('State')}}<select name="state" id="filter-state"><option value="">{{_('all')}}</option>
    % for s in states:
    <option value="{{s}}" {{'selected' if filters['state'] == s else ''}}>{{label(s)}}</option>
    % end
  </select></label>
  <label>{{_('Number or its last digits')}}<input name="number" id="filter-number" value="{{filters['number'] or ''}}"></label>
  <button type="submit" id="filter">{{_('Filter')}}</button>
  <a href="{{csv_url}}" id="voice-csv">{{_('Export CSV')}}</a>
</form>
<div class="table-scroll">
<table id="voice-attempts">
  <tr><th>{{_('Number')}}</th><th>{{_('State')}}</th><th>{{_('Result')}}</th><th class="num">{{_('Try')}}</th>
      <th class="num">{{_('Talk seconds')}}</th><th>{{_('Keys')}}</th><th>{{_('Called at')}}</th>
      % if heard_column:
      <th>{{_('Heard before an answer')}}</th>
      % end
      % if screened:
      <th>{{_('Screened as')}}</th>
      % end
      <th>{{_('Recording')}}</th></tr>
  % for a in rows:
  <tr data-attempt="{{a['id']}}"><td>{{a['number']}}</td><td>{{label(a['state'])}}</td>
      <td><span class="state {{a['result']}}">{{label(a['result']) if a['result'] else '–'}}</span></td>
      <td class="num">{{a['try_no']}}</td><td class="num">{{'' if a['talk_seconds'] is None else a['talk_seconds']}}</td>
      <td>{{a['keys']}}</td><td class="muted">{{ctx.when(a['dialled_at'], '%m-%d %H:%M') if a['dialled_at'] else ''}}</td>
      % if heard_column:
      <td>{{a['heard']}}
      % if a['early_audio']:
      <audio controls preload="none" class="prompt-audio" src="/voice/{{report['id']}}/attempts/{{a['id']}}/early.wav"></audio>
      % end
      </td>
      % end
      % if screened:
      <td>{{screened.get(a['id'], '')}}</td>
      % end
      <td>
      % if a['id'] in recorded:
      <audio controls preload="none" class="prompt-audio" src="/voice/{{report['id']}}/attempts/{{a['id']}}/recording.wav"></audio>
      % end
      </td></tr>
  % end
</table>
</div>
% if next_url:
<p class="pager"><a href="{{next_url}}">{{_('Older')}} →</a></p>
% end
<script src="/static/voice.js"></script>
