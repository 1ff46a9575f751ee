% rebase('layout')
% if error:
<p class="flash error" id="import-error">{{error}}</p>
% end
% if errors:
<table id="import-errors">
  <tr><th>{{_('Line')}}</th><th>{{_('Column')}}</th><th>{{_('Problem')}}</th></tr>
  % for e in errors:
  <tr><td class="num">{{e.line}}</td><td>{{e.column}} {{'(' + e.header + ')' if e.header else ''}}</td><td>{{e.message}}</td></tr>
  % end
</table>
% end
% if report:
<p class="flash ok" id="import-report">
  {{get('filename', '')}}: {{_('{rows} rows, {created} created, {updated} updated.').format(rows=report['rows'], created=report['created'], updated=report['updated'])}}
  % if report.get('dry_run'):
  {{_('Trial run only: nothing was saved.')}}
  % end
</p>
% end
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
  <tr><th>{{_(k)}}</th><td>{{', '.join(f.name + ('*' if f.required else '') + (' / ' + '/'.join(f.aliases) if f.aliases else '') for f in specs[k])}}</td></tr>
  % end
</table>
<p class="meta">{{_('* required. Headers may be the field names or the usual Chinese column names. The whole file is imported or nothing.')}}</p>
