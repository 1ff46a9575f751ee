% rebase('layout')
% import html
% if error:
<p class="flash error" id="import-error">{{error}}</p>
% end
% include('import_result')
<form method="post" action="/import" enctype="multipart/form-data" class="card" id="import-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <div class="row">
    <label>{{_('What the file holds')}}<select name="kind" id="import-kind">
      % for k in kinds:
      <option value="{{k}}" {{'selected' if kind == k else ''}}>{{_(k)}}</option>
      % end
    </select></label>
    <label>{{_('CSV or XLSX file')}}<input type="file" name="file" id="import-file" accept=".csv,.xlsx" required></label>
    <label><input type="checkbox" name="dry_run" value="1"> {{_('Trial run (check only)')}}</label>
  </div>
  <button type="submit" id="import-submit">{{_('Import')}}</button>
</form>
<h2>{{_('Columns')}}</h2>
<table>
  % for k in kinds:
  <tr><th>{{_(k)}}</th><td>
    % for f in specs[k]:
    <span class="column-name"><code>{{f.name}}</code>{{'*' if f.required else ''}}{{' / ' if f.aliases else ''}}{{!'/'.join(f'<code>{html.escape(a)}</code>' if a.isascii() else html.escape(a) for a in f.aliases)}}</span>
    % end
  </td></tr>
  % end
</table>
<p class="meta">{{_('* required. Headers may be the field names or the usual Chinese column names. The whole file is imported or nothing.')}}</p>
% if jobs:
<h2>{{_('Recent imports')}}</h2>
<table id="import-jobs">
  <tr><th>{{_('File')}}</th><th>{{_('What the file holds')}}</th><th>{{_('By')}}</th><th>{{_('Started')}}</th><th>{{_('State')}}</th></tr>
  % for j in jobs:
  <tr><td><a href="/import/jobs/{{j['id']}}">{{j['filename']}}</a></td><td>{{_(j['kind'])}}</td><td>{{j['actor']}}</td>
      <td class="muted">{{ctx.when(j['created_at'], '%Y-%m-%d %H:%M')}}</td><td>{{_(labels[j['state']])}}</td></tr>
  % end
</table>
% end
